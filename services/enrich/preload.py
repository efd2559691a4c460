"""What the forkserver of `newswire enrich --workers N` imports before it forks any worker
(`workers.py`): the tagger's models, loaded there once, so that the workers share their memory
instead of each loading a copy of its own."""

import gc

from services.enrich.tag import load_models

load_models()
# Moved out of the collector's reach: a collection writes to every object it walks, and each page
# a worker writes to stops being shared.
gc.freeze()

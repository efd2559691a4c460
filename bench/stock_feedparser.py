"""The bare component of `feeds[first_pass]`: stock `feedparser.parse` (its defaults) on the
farm's bodies, in a process that never loads newswire's parser, which tunes feedparser.

    .venv/bin/python -m bench.stock_feedparser FEEDS ITEMS   # prints {"cpu_s": ..., "items": ...}
"""

from __future__ import annotations

import json
import sys
import time

import feedparser

from bench.farm import CONTENT_TYPE, Farm

TUNING_MODULE = "services.ingest.parse"


def stock_parse(feeds: int, items: int) -> tuple[float, int]:
    """CPU seconds stock feedparser takes over every feed's body, and the items it finds."""
    if TUNING_MODULE in sys.modules:
        raise RuntimeError(f"{TUNING_MODULE} is loaded: feedparser is not stock here")
    farm = Farm(feeds, items)
    bodies = [farm.render(number) for number in range(feeds)]
    headers = {"content-type": CONTENT_TYPE}
    started = time.process_time()
    found = sum(len(feedparser.parse(body, response_headers=headers).entries) for body in bodies)
    return time.process_time() - started, found


if __name__ == "__main__":
    cpu_s, found = stock_parse(int(sys.argv[1]), int(sys.argv[2]))
    print(json.dumps({"cpu_s": cpu_s, "items": found}))

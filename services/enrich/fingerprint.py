"""Which rules made an enrichment: a digest of the enrich package's code and data.

The package version names a release, but the tagger's rules change between releases, and a
development install keeps one version throughout. Two records with the same digest (and the same
model versions) were tagged by the same code, lexicon and gazetteer rules; a replay under changed
rules shows a new one, whatever the version says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable

DIGEST_CHARS = 12
# Source and data; bytecode caches differ between installs of the same code and are not read.
RULE_FILE_SUFFIXES = (".py", ".yaml")


def rules_digest(package: Traversable | None = None) -> str:
    """The digest of the rule files under `package` (default: `services.enrich`), by their
    paths relative to it and their contents."""
    digest = hashlib.sha256()
    for path, content in sorted(_rule_files(package or files("services.enrich"))):
        digest.update(path.encode())
        digest.update(hashlib.sha256(content).digest())  # fixed length: no path can run into it
    return digest.hexdigest()[:DIGEST_CHARS]


def _rule_files(directory: Traversable, prefix: str = "") -> Iterator[tuple[str, bytes]]:
    for entry in directory.iterdir():
        path = prefix + entry.name
        if entry.is_dir():
            yield from _rule_files(entry, path + "/")
        elif entry.name.endswith(RULE_FILE_SUFFIXES):
            yield path, entry.read_bytes()

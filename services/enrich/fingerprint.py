"""Which rules made an enrichment: a digest of the code and data that decide it.

The package version names a release, but the tagger's rules change between releases, and a
development install keeps one version throughout. Two records with the same digest (and the same
model versions) were tagged by the same code, lexicon and gazetteer rules; a replay under changed
rules shows a new one, whatever the version says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable

DIGEST_CHARS = 12
# Source and data; bytecode caches differ between installs of the same code and are not read.
RULE_FILE_SUFFIXES = (".py", ".yaml")


def rule_sources() -> tuple[Traversable, ...]:
    """What decides an enrichment: the enrich package, and the text helpers it shares."""
    return files("services.enrich"), files("newswire").joinpath("text.py")


def rules_digest(sources: Sequence[Traversable] | None = None) -> str:
    """The digest of the rule files in `sources` (default: `rule_sources()`), folders read
    through, by their paths from each source and their contents."""
    digest = hashlib.sha256()
    found = (
        item for source in sources or rule_sources() for item in _rule_files(source, source.name)
    )
    for path, content in sorted(found):
        digest.update(path.encode())
        digest.update(hashlib.sha256(content).digest())  # fixed length: no path can run into it
    return digest.hexdigest()[:DIGEST_CHARS]


def _rule_files(entry: Traversable, path: str) -> Iterator[tuple[str, bytes]]:
    if entry.is_dir():
        for child in entry.iterdir():
            yield from _rule_files(child, f"{path}/{child.name}")
    elif entry.name.endswith(RULE_FILE_SUFFIXES):
        yield path, entry.read_bytes()

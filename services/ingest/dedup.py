"""Which items of a feed are new, updated, unchanged or repeated: pure, per feed.

An item's identity is its GUID; when the feed gives none, or gives the same GUID to several items
of one document, it is the item's canonical link; when that is missing or repeated too, a hash of
title, date and text. A feed's `SeenWindow` remembers the identities of its latest items with a
digest of their text (the article's `content_hash`), so an item seen again is `unchanged`, or
`updated` when its title or body changed.

The window is compact (16 bytes an item) because every configured feed keeps one, and it is
updated only by `record`, which the caller runs once Kafka has acknowledged what it published.
"""

import hashlib
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.ingest.identity import content_hash
from services.ingest.normalize import ArticleDraft, ArticleKeys, article_keys


class Outcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one item of a fetch; `identity` and `digest` are what `record` keeps."""

    draft: ArticleDraft
    keys: ArticleKeys | None  # None when the item's link is not a URL
    identity: int
    digest: int
    outcome: Outcome
    guid: str | None  # the GUID the item is known by, when it is known by its GUID


def item_keys(draft: ArticleDraft) -> ArticleKeys | None:
    """The draft's `article_keys`, or None when its link is not a URL: such an item is identified
    by its GUID or its text, and its article cannot be built."""
    try:
        return article_keys(draft)
    except ValueError:
        return None


def item_identities(
    drafts: Sequence[ArticleDraft], keys: Sequence[ArticleKeys | None]
) -> list[str]:
    """The identity of each item of one feed document, as readable text (`guid:…`, `link:…`),
    given the `item_keys` of each."""
    guids = [_guid(draft) for draft in drafts]
    links = [item.url if item else None for item in keys]
    guid_counts, link_counts = Counter(guids), Counter(links)
    identities = []
    for draft, guid, link in zip(drafts, guids, links, strict=True):
        if guid and guid_counts[guid] == 1:
            identities.append(f"guid:{guid}")
        elif link and link_counts[link] == 1:
            identities.append(f"link:{link}")
        else:
            identities.append(f"hash:{_item_hash(draft)}")
    return identities


class SeenWindow:
    """The identities of a feed's latest items, each with the digest of its text, oldest first.

    The last recorded document's items are kept, and `capacity` more before them, so an item that
    drops out of the feed for a while and comes back is not new, nor is an old item of a feed that
    carries more items than the capacity.
    """

    def __init__(self, capacity: int, entries: Iterable[tuple[int, int]] = ()) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self._identities = array("Q")
        self._digests = array("Q")
        for identity, digest in entries:
            self._identities.append(identity)
            self._digests.append(digest)

    def __len__(self) -> int:
        return len(self._identities)

    def entries(self) -> list[tuple[int, int]]:
        return list(zip(self._identities, self._digests, strict=True))

    def to_bytes(self) -> bytes:
        """The entries as little-endian 64-bit pairs, for the state topic."""
        return pack_words(value for entry in self.entries() for value in entry)

    @classmethod
    def from_bytes(cls, capacity: int, data: bytes) -> "SeenWindow":
        pairs = unpack_words(data)
        return cls(capacity, zip(pairs[::2], pairs[1::2], strict=True))

    def classify(self, drafts: Sequence[ArticleDraft]) -> list[Decision]:
        """The outcome of each item of one feed document; changes nothing."""
        known = dict(zip(self._identities, self._digests, strict=True))
        seen_now: set[int] = set()
        decisions = []
        keys = [item_keys(draft) for draft in drafts]
        identities = item_identities(drafts, keys)
        for draft, item, identity_text in zip(drafts, keys, identities, strict=True):
            identity = _digest64(identity_text)
            text_hash = item.content_hash if item else content_hash(draft.title, draft.body)
            digest = int(text_hash[:16], 16)
            if identity in seen_now:
                outcome = Outcome.DUPLICATE
            elif identity not in known:
                outcome = Outcome.NEW
            else:
                outcome = Outcome.UNCHANGED if known[identity] == digest else Outcome.UPDATED
            seen_now.add(identity)
            guid = draft.guid if identity_text.startswith("guid:") else None
            decisions.append(Decision(draft, item, identity, digest, outcome, guid))
        return decisions

    def record(self, decisions: Sequence[Decision]) -> None:
        """Remembers the items of a document once they are safely published (or unchanged).

        Each recorded item moves to the newest end; the oldest entries beyond the capacity (and
        the document's own) go.
        """
        latest = {decision.identity: decision.digest for decision in decisions}
        kept = [
            (identity, digest)
            for identity, digest in zip(self._identities, self._digests, strict=True)
            if identity not in latest
        ]
        kept.extend(latest.items())
        kept = kept[-(self.capacity + len(latest)) :]
        self._identities = array("Q", (identity for identity, _ in kept))
        self._digests = array("Q", (digest for _, digest in kept))


def pack_words(values: Iterable[int]) -> bytes:
    """Unsigned 64-bit values as little-endian bytes, the same on every machine."""
    words = array("Q", values)
    if sys.byteorder == "big":
        words.byteswap()
    return words.tobytes()


def unpack_words(data: bytes) -> "array[int]":
    words = array("Q")
    words.frombytes(data)
    if sys.byteorder == "big":
        words.byteswap()
    return words


def _guid(draft: ArticleDraft) -> str | None:
    return draft.guid or None  # drafts strip whitespace, so a blank GUID arrives empty


def _item_hash(draft: ArticleDraft) -> str:
    # A time the caller filled in (the fetch time) changes on every poll; it is no identity.
    known = draft.published_at is not None and not draft.published_at_inferred
    date = draft.published_at.isoformat() if known and draft.published_at else ""
    return hashlib.sha256(f"{draft.title}\n{date}\n{draft.body}".encode()).hexdigest()[:32]


def _digest64(text: str) -> int:
    """64 bits of SHA-256: a collision among one feed's few hundred items is out of reach."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")

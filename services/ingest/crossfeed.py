"""Across feeds, the same canonical URL is the same article: what every feed carried lately.

`ArticleLog` is one feed's part: the articles its latest items are (64 bits of the article id),
each with the digest of its text and the time the feed first showed it, packed into the feed's
state record. `ArticleIndex` joins them: an article another feed already published with the same
text is a duplicate and is not published again. The index is rebuilt from the state records
whenever they are read, so it survives restarts without a record of its own.

Both are as compact as `SeenWindow`, for the same reason: every configured feed keeps a log.
"""

from collections import OrderedDict
from collections.abc import Iterable, Sequence

from services.ingest.dedup import Outcome, pack_words, unpack_words

# Articles the index holds at most (about 180 bytes each): a story that turns up on another feed
# after this many newer ones were seen is published again.
MAX_INDEX_ENTRIES = 200_000


def article_word(article_id: str) -> int:
    """64 bits of an article id (hex): a collision among a million articles is out of reach."""
    return int(article_id[:16], 16)


class ArticleLog:
    """The articles of a feed's latest items, oldest first, with digest and first-seen time.

    Like `SeenWindow`, it keeps at least `capacity` entries, and never fewer than the last
    recorded document had.
    """

    def __init__(self, capacity: int, entries: Iterable[tuple[int, int, int]] = ()) -> None:
        self.capacity = capacity
        self._entries = {article: (digest, seen) for article, digest, seen in entries}

    @classmethod
    def from_bytes(cls, capacity: int, data: bytes) -> "ArticleLog":
        words = unpack_words(data)
        return cls(capacity, zip(words[::3], words[1::3], words[2::3], strict=True))

    def to_bytes(self) -> bytes:
        """(article, digest, first seen) as little-endian 64-bit triples, for the state topic."""
        return pack_words(
            value
            for article, (digest, seen) in self._entries.items()
            for value in (article, digest, seen)
        )

    def __len__(self) -> int:
        return len(self._entries)

    def digests(self) -> list[tuple[int, int]]:
        """(article, digest) of every entry, oldest first."""
        return [(article, digest) for article, (digest, _) in self._entries.items()]

    def first_seen(self, article: int) -> int | None:
        """When the feed first carried the article (Unix time in microseconds), if it is known."""
        entry = self._entries.get(article)
        return entry[1] if entry else None

    def record(self, items: Sequence[tuple[int, int]], now: int) -> None:
        """Remembers a document's (article, digest) pairs; each keeps its first-seen time."""
        latest: dict[int, tuple[int, int]] = {}
        for article, digest in items:
            if article not in latest:
                earlier = self._entries.pop(article, None)
                latest[article] = (digest, earlier[1] if earlier else now)
        kept = [*self._entries.items(), *latest.items()]
        self._entries = dict(kept[-max(self.capacity, len(latest)) :])


class ArticleIndex:
    """The digest of the text each article was last published with, by article, across feeds.

    Bounded: past `capacity` the entry touched longest ago goes. The caller sizes it to what the
    configured feeds carry (feeds times window), up to `MAX_INDEX_ENTRIES`.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._digests: OrderedDict[int, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._digests)

    def rebuild(self, logs: Iterable[ArticleLog]) -> None:
        self._digests.clear()
        self.add(dict(entry for log in logs for entry in log.digests()))

    def resize(self, capacity: int) -> None:
        self.capacity = capacity
        self._trim()

    def select(
        self, candidates: Sequence[tuple[int, int, Outcome]], pending: dict[int, int]
    ) -> list[Outcome]:
        """The final outcome of each (article, digest, feed outcome) a feed would publish.

        `duplicate` when the article was published with the same text, by any feed, before or
        earlier in this transaction; `updated` when it was published with another text; else the
        feed's own outcome. What is to be published goes into `pending`, for `add` once the
        transaction committed.
        """
        outcomes = []
        for article, digest, outcome in candidates:
            known = pending.get(article, self._digests.get(article))
            if known == digest:
                outcomes.append(Outcome.DUPLICATE)
                continue
            outcomes.append(Outcome.UPDATED if known is not None else outcome)
            pending[article] = digest
        return outcomes

    def add(self, published: dict[int, int]) -> None:
        for article, digest in published.items():
            self._digests[article] = digest
            self._digests.move_to_end(article)
        self._trim()

    def _trim(self) -> None:
        while len(self._digests) > self.capacity:
            self._digests.popitem(last=False)

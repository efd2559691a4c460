"""Across feeds, the same canonical URL is the same article: what every feed carried lately.

`ArticleLog` is one feed's part: the articles its latest items are (64 bits of the article id),
each with the digest of its text and the time the feed first showed it, packed into the feed's
state record. `ArticleIndex` joins them: an article is the feed's that published it first, and
on every other feed it is a duplicate, whatever text that feed gives it (an older version, a
shorter teaser), so it is published once and only its own feed's edits are published again.
The index is rebuilt from the state records whenever they are read, so it survives restarts
without a record of its own: the log that shows an article first names its feed, so a feed that
lost the race to publish an article its poll saw first takes a later time in its log.

Both are as compact as `SeenWindow`, for the same reason: every configured feed keeps a log.
"""

from collections import OrderedDict
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field

from services.ingest.dedup import Outcome, pack_words, unpack_words

# Articles the index holds at most (about 230 bytes each): a story that turns up on another feed
# after this many newer ones were seen is published again.
MAX_INDEX_ENTRIES = 200_000
ARTICLE_LOG_BYTES = 24  # an `ArticleLog` entry in a state record: three 64-bit words

IndexEntry = tuple[int, str, int]  # an `ArticleIndex` entry: digest, feed, first seen


def article_word(article_id: str) -> int:
    """64 bits of an article id (hex): a collision among a million articles is out of reach."""
    return int(article_id[:16], 16)


class ArticleLog:
    """The articles of a feed's latest items, oldest first, with digest and first-seen time.

    Like `SeenWindow`, it keeps the last recorded document's articles and `capacity` more.
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

    def entries(self) -> list[tuple[int, tuple[int, int]]]:
        """(article, (digest, first seen)) of every entry, oldest first."""
        return list(self._entries.items())

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
        self._entries = dict(kept[-(self.capacity + len(latest)) :])

    def defer(self, times: dict[int, int]) -> None:
        """Moves the first-seen time of articles the log holds to the later of the two."""
        for article, seen in times.items():
            entry = self._entries.get(article)
            if entry is not None and entry[1] < seen:
                self._entries[article] = (entry[0], seen)


@dataclass
class Selection:
    """What `ArticleIndex.select` decided for a feed's candidates."""

    outcomes: list[Outcome] = field(default_factory=list)
    # Articles another feed published first though this feed's poll saw them no later (it
    # began earlier and took longer): the first-seen time the feed's log must give them, just
    # after the owner's, for a rebuild after a restart to keep the owner.
    behind: dict[int, int] = field(default_factory=dict)


class ArticleIndex:
    """Each article's feed (the one that published it first), the digest of the text it was last
    published with, and when its feed first showed it, across feeds.

    Bounded: past `capacity` the entry touched longest ago goes. The caller sizes it to what the
    feeds' logs hold, up to `MAX_INDEX_ENTRIES`.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, IndexEntry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def rebuild(self, logs: Iterable[tuple[str, ArticleLog]]) -> None:
        """The index of what the feeds' logs hold; an article two logs hold goes to the feed
        that showed it first."""
        firsts: dict[int, IndexEntry] = {}
        for feed, log in logs:
            for article, (digest, seen) in log.entries():
                if article not in firsts or seen < firsts[article][2]:
                    firsts[article] = (digest, feed, seen)
        self._entries.clear()
        self.add(firsts)

    def resize(self, capacity: int) -> None:
        self.capacity = capacity
        self._trim()

    def select(
        self,
        feed: str,
        candidates: Sequence[tuple[int, int, int, Outcome]],
        pending: dict[int, IndexEntry],
        listed: Container[str],
    ) -> Selection:
        """The final outcome of each (article, digest, first seen, feed outcome) `feed` would
        publish.

        `duplicate` when another feed published the article, before or earlier in this
        transaction, or this feed did with the same text; `updated` when this feed published it
        with another text; else the feed's own outcome. An article whose feed is no longer
        `listed` (removed from the list, or listed at a new URL) is this feed's. What is to be
        published goes into `pending`, for `add` once the transaction committed.
        """
        selection = Selection()
        for article, digest, seen, outcome in candidates:
            known = pending.get(article) or self._entries.get(article)
            if known is not None and known[1] not in listed:
                known = (known[0], feed, seen)
            if known is not None and known[1] != feed:
                if seen <= known[2]:
                    selection.behind[article] = known[2] + 1
                outcome = Outcome.DUPLICATE
            elif known is not None:
                outcome = Outcome.DUPLICATE if known[0] == digest else Outcome.UPDATED
            selection.outcomes.append(outcome)
            if outcome is not Outcome.DUPLICATE:
                pending[article] = (digest, feed, seen)
        return selection

    def add(self, published: dict[int, IndexEntry]) -> None:
        for article, entry in published.items():
            self._entries[article] = entry
            self._entries.move_to_end(article)
        self._trim()

    def _trim(self) -> None:
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

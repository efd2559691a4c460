"""What every feed carried lately: the per-feed log and the index across feeds."""

from services.ingest.crossfeed import ArticleIndex, ArticleLog, article_word
from services.ingest.dedup import Outcome


def test_article_word_is_the_id_prefix() -> None:
    assert article_word("0123456789abcdef" + "0" * 16) == 0x0123456789ABCDEF


def test_log_keeps_first_seen_times_round_trips_and_is_bounded() -> None:
    log = ArticleLog(capacity=2)
    log.record([(1, 10), (2, 20)], now=100)
    log.record([(2, 21), (3, 30)], now=200)
    assert log.first_seen(2) == 100 and log.first_seen(3) == 200 and log.first_seen(9) is None
    log.record([(4, 40), (5, 50)], now=300)
    # The latest document's articles, and two before them: the oldest went.
    assert log.entries() == [(2, (21, 100)), (3, (30, 200)), (4, (40, 300)), (5, (50, 300))]
    big = [(n, n) for n in range(10, 20)]
    log.record(big, now=400)
    assert len(log) == 12
    copy = ArticleLog.from_bytes(2, log.to_bytes())
    assert copy.entries() == log.entries() and copy.first_seen(10) == 400


def test_an_article_is_its_first_feeds_and_a_duplicate_on_every_other() -> None:
    index = ArticleIndex(capacity=100)
    first, second = ArticleLog(5), ArticleLog(5)
    first.record([(1, 10), (4, 40)], now=1)
    second.record([(2, 20), (4, 41)], now=2)  # 4: the first feed showed it earlier
    index.rebuild([("first", first), ("second", second)])
    pending: dict[int, tuple[int, str]] = {}
    outcomes = index.select(
        "second",
        [
            (1, 10, Outcome.NEW),  # the first feed's, with the same text
            (1, 11, Outcome.NEW),  # ... an older version or another teaser: still theirs
            (2, 20, Outcome.UNCHANGED),  # its own, unchanged
            (2, 99, Outcome.UPDATED),  # its own, edited: published again
            (4, 42, Outcome.UPDATED),  # the first feed's
            (3, 30, Outcome.NEW),
        ],
        pending,
    )
    assert outcomes == [
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.UPDATED,
        Outcome.DUPLICATE,
        Outcome.NEW,
    ]
    # A third feed in the same transaction finds the second's new article taken.
    assert index.select("third", [(3, 31, Outcome.NEW)], pending) == [Outcome.DUPLICATE]
    assert pending == {2: (99, "second"), 3: (30, "second")}
    index.add(pending)
    assert index.select("second", [(3, 30, Outcome.UPDATED)], {}) == [Outcome.DUPLICATE]
    assert index.select("first", [(3, 30, Outcome.NEW)], {}) == [Outcome.DUPLICATE]


def test_index_forgets_the_oldest_past_its_capacity() -> None:
    index = ArticleIndex(capacity=2)
    index.add({1: (1, "f"), 2: (2, "f")})
    index.add({1: (1, "f"), 3: (3, "f")})  # 1 touched again: 2 is the oldest now
    assert len(index) == 2
    assert index.select("g", [(2, 2, Outcome.NEW), (1, 1, Outcome.NEW)], {}) == [
        Outcome.NEW,
        Outcome.DUPLICATE,
    ]
    index.resize(1)
    assert len(index) == 1

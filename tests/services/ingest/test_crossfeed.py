"""What every feed carried lately: the per-feed log and the index across feeds."""

from services.ingest.crossfeed import ArticleIndex, ArticleLog, article_word
from services.ingest.dedup import Outcome


def test_article_word_is_the_id_prefix() -> None:
    assert article_word("0123456789abcdef" + "0" * 16) == 0x0123456789ABCDEF


def test_log_keeps_first_seen_times_round_trips_and_is_bounded() -> None:
    log = ArticleLog(capacity=3)
    log.record([(1, 10), (2, 20)], now=100)
    log.record([(2, 21), (3, 30)], now=200)
    assert log.first_seen(2) == 100 and log.first_seen(3) == 200 and log.first_seen(9) is None
    log.record([(4, 40), (5, 50)], now=300)
    assert log.digests() == [(3, 30), (4, 40), (5, 50)]  # the oldest went
    big = [(n, n) for n in range(10, 20)]
    log.record(big, now=400)
    assert len(log) == 10  # never fewer than the last document had
    copy = ArticleLog.from_bytes(3, log.to_bytes())
    assert copy.digests() == log.digests() and copy.first_seen(10) == 400


def test_index_finds_duplicates_across_feeds_and_within_a_transaction() -> None:
    index = ArticleIndex(capacity=100)
    first, second = ArticleLog(5), ArticleLog(5)
    first.record([(1, 10)], now=1)
    second.record([(2, 20)], now=1)
    index.rebuild([first, second])
    pending: dict[int, int] = {}
    outcomes = index.select(
        [
            (1, 10, Outcome.NEW),  # another feed published it with this text
            (2, 99, Outcome.NEW),  # ... with another text: published again
            (3, 30, Outcome.NEW),
            (3, 30, Outcome.NEW),  # a second feed, in the same transaction
        ],
        pending,
    )
    assert outcomes == [Outcome.DUPLICATE, Outcome.UPDATED, Outcome.NEW, Outcome.DUPLICATE]
    assert pending == {2: 99, 3: 30}
    index.add(pending)
    assert index.select([(3, 30, Outcome.UPDATED)], {}) == [Outcome.DUPLICATE]


def test_index_forgets_the_oldest_past_its_capacity() -> None:
    index = ArticleIndex(capacity=2)
    index.add({1: 1, 2: 2})
    index.add({1: 1, 3: 3})  # 1 touched again: 2 is the oldest now
    assert len(index) == 2
    assert index.select([(2, 2, Outcome.NEW), (1, 1, Outcome.NEW)], {}) == [
        Outcome.NEW,
        Outcome.DUPLICATE,
    ]
    index.resize(1)
    assert len(index) == 1

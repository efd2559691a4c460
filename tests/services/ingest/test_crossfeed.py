"""What every feed carried lately: the per-feed log and the index across feeds."""

from services.ingest.crossfeed import ArticleIndex, ArticleLog, IndexEntry, article_word
from services.ingest.dedup import Outcome

LISTED = frozenset({"first", "second", "third", "fast", "slow", "f", "g"})  # every feed here


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
    pending: dict[int, IndexEntry] = {}
    selection = index.select(
        "second",
        [
            (1, 10, 2, Outcome.NEW),  # the first feed's, with the same text
            (1, 11, 2, Outcome.NEW),  # ... an older version or another teaser: still theirs
            (2, 20, 2, Outcome.UNCHANGED),  # its own, unchanged
            (2, 99, 2, Outcome.UPDATED),  # its own, edited: published again
            (4, 42, 2, Outcome.UPDATED),  # the first feed's
            (3, 30, 3, Outcome.NEW),
        ],
        pending,
        LISTED,
    )
    assert selection.outcomes == [
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.UPDATED,
        Outcome.DUPLICATE,
        Outcome.NEW,
    ]
    assert selection.behind == {}  # the second feed showed 1 and 4 after the first
    # A third feed in the same transaction finds the second's new article taken.
    assert index.select("third", [(3, 31, 4, Outcome.NEW)], pending, LISTED).outcomes == [
        Outcome.DUPLICATE
    ]
    assert pending == {2: (99, "second", 2), 3: (30, "second", 3)}
    index.add(pending)
    assert index.select("second", [(3, 30, 3, Outcome.UPDATED)], {}, LISTED).outcomes == [
        Outcome.DUPLICATE
    ]
    assert index.select("first", [(3, 30, 5, Outcome.NEW)], {}, LISTED).outcomes == [
        Outcome.DUPLICATE
    ]


def test_a_feed_that_lost_the_race_to_publish_keeps_losing_after_a_restart() -> None:
    # The slow feed's poll began first (time 100) and the fast one's later (time 101), but the
    # fast one's committed first: the article is the fast feed's, now and after a rebuild.
    index = ArticleIndex(capacity=100)
    slow, fast = ArticleLog(5), ArticleLog(5)
    fast.record([(7, 70)], now=101)
    pending: dict[int, IndexEntry] = {}
    assert index.select("fast", [(7, 70, 101, Outcome.NEW)], pending, LISTED).outcomes == [
        Outcome.NEW
    ]
    index.add(pending)  # the fast feed's transaction committed
    slow.record([(7, 71)], now=100)
    selection = index.select("slow", [(7, 71, 100, Outcome.NEW)], {}, LISTED)
    assert selection.outcomes == [Outcome.DUPLICATE] and selection.behind == {7: 102}
    slow.defer(selection.behind)
    assert slow.entries() == [(7, (71, 102))]

    index.rebuild([("slow", slow), ("fast", fast)])
    # The fast feed's edit is published; the slow feed's text is still a duplicate.
    assert index.select("fast", [(7, 72, 101, Outcome.UPDATED)], {}, LISTED).outcomes == [
        Outcome.UPDATED
    ]
    assert index.select("slow", [(7, 73, 102, Outcome.UPDATED)], {}, LISTED).outcomes == [
        Outcome.DUPLICATE
    ]


def test_an_article_whose_feed_left_the_list_is_the_next_feed_s() -> None:
    # The feed moved to a new URL in the file: the old URL's articles are the new URL's.
    index = ArticleIndex(capacity=100)
    index.add({1: (10, "old", 5), 2: (20, "old", 5)})
    moved = {"new"}
    pending: dict[int, IndexEntry] = {}
    selection = index.select(
        "new", [(1, 10, 9, Outcome.NEW), (2, 21, 9, Outcome.NEW)], pending, moved
    )
    assert selection.outcomes == [Outcome.DUPLICATE, Outcome.UPDATED]  # the same text; an edit
    assert (pending, selection.behind) == ({2: (21, "new", 9)}, {})
    # While the old URL is still listed, they stay its own.
    assert index.select("new", [(2, 22, 9, Outcome.NEW)], {}, {"old", "new"}).outcomes == [
        Outcome.DUPLICATE
    ]


def test_a_log_only_defers_articles_it_holds_and_never_to_an_earlier_time() -> None:
    log = ArticleLog(5)
    log.record([(1, 10), (2, 20)], now=50)
    log.defer({1: 40, 2: 60, 3: 70})
    assert log.entries() == [(1, (10, 50)), (2, (20, 60))]


def test_index_forgets_the_oldest_past_its_capacity() -> None:
    index = ArticleIndex(capacity=2)
    index.add({1: (1, "f", 0), 2: (2, "f", 0)})
    index.add({1: (1, "f", 0), 3: (3, "f", 0)})  # 1 touched again: 2 is the oldest now
    assert len(index) == 2
    selection = index.select("g", [(2, 2, 1, Outcome.NEW), (1, 1, 1, Outcome.NEW)], {}, LISTED)
    assert selection.outcomes == [Outcome.NEW, Outcome.DUPLICATE]
    index.resize(1)
    assert len(index) == 1

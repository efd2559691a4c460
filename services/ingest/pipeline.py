"""The ingest service: poll feeds and read seeds, publish the articles with the state covering them.

Only orchestration lives here. One loop follows which feeds this replica owns
(`FeedOwnership`: the consumer group over the feed-list topic), starts the polls that are due
(`Scheduler`) in worker threads (`Poller`), gathers the finished ones, and writes each batch in
one Kafka transaction (`Transactions`): the articles the polls found and the feed states that
cover them, together, fenced by the group's generation.
The state in memory moves on only after the commit. When a transaction fails, the producer is
replaced (which fences the old one and settles its transaction) and the state is read back from
the state topic, so memory never runs ahead of Kafka and a crash at any instant neither loses nor
doubles an article. Seeds are read by the replica that owns partition 0 of the feed list.
"""

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import TypeVar

from kafka import ConsumerGroupMetadata

from newswire.errors import KafkaUnavailableError, RecordsRejectedError
from newswire.kafka.serde import article_key
from newswire.kafka.topics import COMPACTED, TopicSpec, ensure_topics
from newswire.lifecycle import retry_until_stopped
from newswire.observability.endpoints import EndpointServer, Readiness
from schemas import RawArticle, utc_now
from services.ingest import NO_FEED_READ, metrics
from services.ingest.catalog import publish_list
from services.ingest.crossfeed import (
    ARTICLE_LOG_BYTES,
    MAX_INDEX_ENTRIES,
    ArticleIndex,
    ArticleLog,
    IndexEntry,
)
from services.ingest.dedup import Outcome
from services.ingest.feeds import FeedConfig
from services.ingest.fetch import Fetcher
from services.ingest.ownership import (
    Assigned,
    Entry,
    FeedOwnership,
    Loaded,
    Revoked,
    check_co_partitioned,
)
from services.ingest.poll import NOT_MODIFIED, OK, Poller, PollResult
from services.ingest.publish import Fence, Outgoing, Transactions
from services.ingest.reload import FeedList
from services.ingest.scheduler import Scheduler
from services.ingest.seeds import SeedScanner, seed_articles
from services.ingest.settings import IngestSettings
from services.ingest.state import FeedState, StateStore

log = logging.getLogger(__name__)

# With nothing to write for this long, a cheap request checks that Kafka still answers (/readyz).
PROBE_INTERVAL = 10.0
# The loop wakes at least this often for reloads, seeds, gauges and stop requests.
TICK = 1.0
_T = TypeVar("_T")


def run(settings: IngestSettings, once: bool, stop: threading.Event) -> int:
    """Publishes seeds and feeds until stopped; with `once`, one pass over every source.

    Returns 0 when everything was acknowledged, or when stopped before Kafka could be reached;
    1 when a transaction failed in a `once` pass; `NO_FEED_READ` when a `once` pass could read
    none of the feeds it polled. Other feed errors are counted and logged, and are no failure of
    the process.
    """
    try:
        return _serve(settings, once, stop)
    except KafkaUnavailableError as exc:
        if not stop.is_set():
            raise
        log.warning("stopped before Kafka could be reached", extra={"error": str(exc)})
        return 0


def _serve(settings: IngestSettings, once: bool, stop: threading.Event) -> int:
    readiness = Readiness()
    feed_list = FeedList(settings.feeds_file, settings.feeds_watch_interval)
    feeds = feed_list.load()  # a broken file at start-up is a ConfigError: nothing to run
    feed_list.reload_on_sighup()
    topics = settings.topics
    with ExitStack() as stack:
        stack.enter_context(EndpointServer(settings.metrics_host, settings.metrics_port, readiness))
        specs = [
            TopicSpec(topics.raw),
            TopicSpec(topics.ingest_state, COMPACTED),
            TopicSpec(topics.ingest_feeds, COMPACTED),
        ]

        def connect(what: str, action: Callable[[], _T]) -> _T:
            return retry_until_stopped(stop, what, action, settings.kafka_wait(once), readiness)

        connect("create topics", lambda: ensure_topics(settings.kafka, topics, specs))
        connect(
            "compare the partitions of the feed list and the state",
            lambda: check_co_partitioned(settings.kafka, topics.ingest_feeds, topics.ingest_state),
        )
        if settings.feeds_file is not None:
            connect(
                "publish the feed list",
                lambda: publish_list(
                    settings.kafka, topics.ingest_feeds, feeds, settings.publish_timeout
                ),
            )
        transactions = stack.enter_context(
            Transactions(
                settings.kafka,
                settings.producer_transactional_id(once),
                settings.publish_timeout,
                stop,
            )
        )
        # Before the state is read: this settles any transaction a crashed predecessor left.
        connect("start transactions", transactions.open)
        store = connect(
            "open the state topic",
            lambda: StateStore(settings.kafka, topics.ingest_state, settings.publish_timeout),
        )
        stack.callback(store.close)
        ownership = connect(
            "join the feed group", lambda: FeedOwnership(settings.kafka, settings.feed_group)
        )
        stack.callback(ownership.close)
        fetcher = stack.enter_context(Fetcher(settings.fetch))
        pool = ThreadPoolExecutor(settings.max_concurrent_polls, thread_name_prefix="poll")
        # Runs before the fetcher closes, which ends fetches in flight: a stop does not wait
        # for slow feeds.
        stack.callback(pool.shutdown, wait=False, cancel_futures=True)
        poller = Poller(fetcher, settings, random.Random())
        parts = Parts(transactions, store, ownership, poller, pool)
        return Ingest(settings, parts, readiness, stop, once).run(feed_list)


@dataclass(frozen=True)
class Parts:
    """The clients and workers the service loop drives."""

    transactions: Transactions
    store: StateStore
    ownership: FeedOwnership
    poller: Poller
    pool: ThreadPoolExecutor


class Ingest:
    """The service loop and what it holds: the feeds it owns, their states, the schedule, the
    index of articles published."""

    def __init__(
        self,
        settings: IngestSettings,
        parts: Parts,
        readiness: Readiness,
        stop: threading.Event,
        once: bool,
    ) -> None:
        self._settings = settings
        self._transactions = parts.transactions
        self._store = parts.store
        self._ownership = parts.ownership
        self._poller = parts.poller
        self._pool = parts.pool
        self._readiness = readiness
        self._stop = stop
        self._once = once
        self._owned: set[int] = set()  # partitions of the feed list
        self._loading: set[int] = set()  # owned, their entries not all read yet
        self._joined = False
        self._group: ConsumerGroupMetadata | None = None  # generation of the last assignment
        self._entries: dict[str, tuple[int, FeedConfig]] = {}  # owned feeds and their partition
        self._feeds: dict[str, FeedConfig] = {}  # enabled owned feeds, by configured URL
        self._states: dict[str, FeedState] = {}
        self._index = ArticleIndex(settings.seen_window)
        self._scheduler = Scheduler(settings.max_concurrent_polls, settings.max_polls_per_host)
        self._running: dict[Future[PollResult], str] = {}  # poll -> feed URL
        self._seeds = SeedScanner(settings.seeds_dir)
        self._next_seed_scan = 0.0
        self._next_probe = time.monotonic() + PROBE_INTERVAL
        self._next_gauges = 0.0
        self._summary: Counter[str] = Counter()
        self._polled: set[str] = set()  # feeds polled since the start
        self._unpublished: list[FeedConfig] | None = None  # reloaded, not yet in Kafka

    def run(self, feed_list: FeedList) -> int:
        self._readiness.ready()
        if self._once:
            return self._run_once()
        while not self._stop.is_set():
            if (reloaded := feed_list.changed()) is not None:
                self._unpublished = reloaded
            self._publish_list()
            if 0 in self._owned and time.monotonic() >= self._next_seed_scan:
                self._next_seed_scan = time.monotonic() + self._settings.seed_scan_interval
                if not self._publish_seeds():
                    self._recover()
            self._step()
        return 0

    def _run_once(self) -> int:
        """Seeds, then every enabled feed this replica owns once; stops at the first failed
        transaction. A rebalance meanwhile hands the feeds not yet polled to their new owner."""
        seeds_done = False
        while not self._stop.is_set():
            if not self._step():
                return 1
            if not self._settled:
                continue
            if 0 in self._owned and not seeds_done:
                if not self._publish_seeds():
                    return 1
                seeds_done = True
            if self._scheduler.idle:
                log.info("ingest pass done", extra=dict(self._summary))
                return self._pass_status()
        return 1

    def _pass_status(self) -> int:
        """0, or `NO_FEED_READ` when feeds were polled and not one could be read."""
        polls = {name: n for name, n in self._summary.items() if name.startswith("polls_")}
        if polls and not polls.get(f"polls_{OK}") and not polls.get(f"polls_{NOT_MODIFIED}"):
            log.error("no feed could be read in this pass", extra=polls)
            return NO_FEED_READ
        return 0

    @property
    def _settled(self) -> bool:
        """A member of the feed group with the whole list of its partitions read."""
        return self._joined and not self._loading

    def _step(self) -> bool:
        """Follows the feed group, starts due polls, waits for some to finish and commits them;
        False if that failed."""
        self._follow_ownership()
        self._start_polls()
        finished = self._wait_for_polls()
        if finished:
            self._start_polls()  # into the slots just freed: fetching goes on during the commit
        committed = self._commit(finished) if finished else True
        if not finished and not self._once and time.monotonic() >= self._next_probe:
            self._probe()
        if time.monotonic() >= self._next_gauges:  # a pass over all feeds: not at every commit
            self._update_gauges()
        return committed

    def _start_polls(self) -> None:
        for url in self._scheduler.start(time.time()):
            base = self._states.setdefault(url, FeedState(url=url))
            self._running[self._pool.submit(self._poller.poll, self._feeds[url], base)] = url

    def _wait_for_polls(self) -> list[PollResult]:
        next_due = self._scheduler.next_due()
        tick = TICK if self._settled else TICK / 10  # joining: feeds are on their way
        timeout = tick if next_due is None else min(tick, max(0.0, next_due - time.time()))
        if not self._running:
            self._stop.wait(timeout)
            return []
        done, _ = wait(self._running, timeout=timeout, return_when=FIRST_COMPLETED)
        return [self._collect(future) for future in done]

    def _collect(self, poll: Future[PollResult]) -> PollResult:
        self._scheduler.fetched(self._running.pop(poll))
        return poll.result()  # a poll never raises

    def _follow_ownership(self) -> None:
        """Adopts what the feed group decided since the last look, in order."""
        listed = False
        for event in self._ownership.events():
            match event:
                case Assigned(partitions, group):
                    self._joined = True
                    self._group = group
                    self._acquire(partitions)
                case Entry(partition, url, feed) if partition in self._owned:
                    # (Kafka may still hand over records of a partition already revoked.)
                    if feed is None:
                        self._entries.pop(url, None)
                    else:
                        self._entries[url] = (partition, feed)
                    listed = True
                case Loaded(partitions):
                    self._loading -= partitions
                case Revoked(partitions, released, deadline):
                    self._release(partitions, deadline)
                    listed = False  # _release adopted the list
                    released.set()
        if listed:
            self._configure()

    def _acquire(self, partitions: frozenset[int]) -> None:
        """Partitions of the feed list given to this replica: their feeds' states, read back."""
        states: dict[str, FeedState] = {}  # none at all: a spare (more replicas than partitions)

        def read() -> None:
            states.update(self._store.restore(partitions))

        if partitions and not self._retry("read the feed state", read):
            return
        self._owned |= partitions
        self._loading |= partitions
        metrics.FEED_PARTITIONS_OWNED.set(len(self._owned))
        self._states.update(states)
        self._rebuild_index()
        log.info("feeds acquired", extra={"partitions": sorted(partitions), "states": len(states)})

    def _release(self, partitions: frozenset[int], deadline: float) -> None:
        """Partitions taken away: the polls in flight finish (or are dropped at the `deadline`
        the group waits until) and are committed, then the feeds of those partitions are
        forgotten."""
        done, late = wait(self._running, timeout=max(0.0, deadline - time.monotonic()))
        finished = [self._collect(poll) for poll in done]
        for poll in late:
            self._scheduler.finish(self._running.pop(poll))
        if finished:
            self._commit(finished)
        gone = {url for url, (partition, _) in self._entries.items() if partition in partitions}
        for url in gone:
            del self._entries[url]
            self._states.pop(url, None)
        self._owned -= partitions
        self._loading -= partitions
        metrics.FEED_PARTITIONS_OWNED.set(len(self._owned))
        self._joined = False  # until the group assigns partitions again
        self._configure()
        self._rebuild_index()
        log.info(
            "feeds released",
            extra={
                "partitions": sorted(partitions),
                "feeds": len(gone),
                "dropped_polls": len(late),
            },
        )

    def _commit(self, finished: list[PollResult]) -> bool:
        """Writes the polls' new articles and states in one transaction, then adopts them."""
        current: list[PollResult] = []
        for result in finished:
            if self._states.get(result.base.url) is result.base:
                current.append(result)
            else:  # it began from a state since replaced (read back after a failure): redo it
                self._scheduler.finish(result.base.url)
                self._reschedule(result.base.url, time.time())
        pending: dict[int, IndexEntry] = {}
        plans = [self._plan(result, pending) for result in current]
        articles = [article for _, _, published in plans for article in published]
        states = [result.state for result, _, _ in plans if result.write_state]
        if not self._write(articles, states):
            for result in current:
                self._scheduler.finish(result.base.url)
            if self._once:
                return False
            self._recover()  # reschedules them from the state Kafka holds
            return True
        self._index.add(pending)
        for result, outcomes, published in plans:
            self._adopt(result, outcomes, len(published))
        return True

    def _plan(
        self, result: PollResult, pending: dict[int, IndexEntry]
    ) -> tuple[PollResult, list[Outcome], list[RawArticle]]:
        """The final outcome of each candidate of a poll, and the articles to publish: those no
        other feed published, before or earlier in this transaction, and this feed's edits."""
        candidates = [(c.word, c.digest, c.seen, c.outcome) for c in result.candidates]
        selection = self._index.select(result.base.url, candidates, pending, self._feeds)
        if selection.behind:
            log = ArticleLog.from_bytes(self._settings.seen_window, result.state.articles)
            log.defer(selection.behind)
            state = result.state.model_copy(update={"articles": log.to_bytes()})
            result = replace(result, state=state)
        published = [
            _as_outcome(candidate.article, outcome)
            for candidate, outcome in zip(result.candidates, selection.outcomes, strict=True)
            if outcome is not Outcome.DUPLICATE
        ]
        return result, selection.outcomes, published

    def _adopt(self, result: PollResult, outcomes: list[Outcome], published: int) -> None:
        url = result.base.url
        state = self._states[url] = result.state
        self._scheduler.finish(url)
        if state.moved_to and state.moved_to != result.base.moved_to:
            metrics.FEED_MOVES.inc()
            log.warning(
                "feed moved permanently; polling the new URL",
                extra={"feed": result.feed.name, "url": url, "moved_to": state.moved_to},
            )
        items = Counter(result.settled) + Counter(outcomes)
        for outcome, count in items.items():
            metrics.ITEMS.labels(outcome.value).inc(count)
        self._summary.update({f"polls_{result.outcome}": 1, "articles_published": published})
        self._summary.update({f"items_{outcome.value}": count for outcome, count in items.items()})
        self._polled.add(url)
        if url in self._feeds:
            self._feed_metrics(self._feeds[url], state)
            self._reschedule(url, state.due_at(utc_now()))
        else:
            self._scheduler.remove(url)  # dropped from the list while it was polled

    def _write(self, articles: list[RawArticle], states: list[FeedState]) -> bool:
        """One transaction; False (and not ready) if it did not commit. Articles Kafka refuses
        for what they are (too large for the topic, say) are counted, logged and left out."""
        one_by_one = False
        while True:
            try:
                return self._write_once(articles, states, one_by_one)
            except RecordsRejectedError as exc:
                if one_by_one and any(index >= len(articles) for index in exc.indexes):
                    log.error("feed state rejected by Kafka", extra={"error": str(exc)})
                    return False
                if one_by_one:
                    articles = self._drop_rejected(articles, set(exc.indexes), str(exc))
                # Kafka refuses a whole request for one bad record: find which, one by one.
                one_by_one = not one_by_one
                if not self._retry("restart transactions", self._transactions.open):
                    return False

    def _fence(self) -> Fence:
        if self._group is None:
            raise KafkaUnavailableError("not a member of the feed group yet")
        return self._ownership.fence(self._group)

    def _drop_rejected(
        self, articles: list[RawArticle], rejected: set[int], error: str
    ) -> list[RawArticle]:
        for index in sorted(rejected):
            article = articles[index]
            metrics.PUBLISH_FAILURES.labels(article.source.kind.value).inc()
            log.error(
                "article rejected by Kafka; left out",
                extra={"id": article.id, "title": article.title, "error": error},
            )
        return [article for index, article in enumerate(articles) if index not in rejected]

    def _write_once(
        self, articles: list[RawArticle], states: list[FeedState], one_by_one: bool
    ) -> bool:
        topics = self._settings.topics
        records = [Outgoing(topics.raw, article_key(article), article) for article in articles]
        records += [Outgoing(topics.ingest_state, state.url.encode(), state) for state in states]
        if not records:
            return True
        started = time.perf_counter()
        try:
            self._transactions.write(records, one_by_one, self._fence)
        except KafkaUnavailableError as exc:
            metrics.TRANSACTIONS.labels("failed").inc()
            for article in articles:
                metrics.PUBLISH_FAILURES.labels(article.source.kind.value).inc()
            self._readiness.not_ready(f"Kafka: {exc}")
            log.error("transaction failed; its work will be done again", extra={"error": str(exc)})
            return False
        metrics.TRANSACTIONS.labels("committed").inc()
        metrics.PUBLISH_DURATION.observe(time.perf_counter() - started)
        for kind, count in Counter(article.source.kind.value for article in articles).items():
            metrics.ARTICLES_PUBLISHED.labels(kind).inc(count)
        self._readiness.ready()
        self._next_probe = time.monotonic() + PROBE_INTERVAL
        return True

    def _publish_seeds(self) -> bool:
        changed = self._seeds.changed()
        if not changed:
            return True
        articles = seed_articles(changed, utc_now())
        if not self._write(articles, []):
            return False
        self._seeds.published()
        self._summary["articles_published"] += len(articles)
        log.info("seeds published", extra={"files": len(changed), "articles": len(articles)})
        return True

    def _recover(self) -> None:
        """A new producer, then the state as Kafka holds it; retried until Kafka answers."""
        if self._retry("restart transactions", self._transactions.open) and self._retry(
            "read the feed state", self._resync
        ):
            self._readiness.ready()

    def _retry(self, what: str, action: Callable[[], object]) -> bool:
        """Runs `action` until Kafka lets it succeed; False if the service is stopped first
        (the next start recovers the same way)."""
        if self._stop.is_set():
            return False
        try:
            retry_until_stopped(self._stop, what, action, self._settings.kafka_wait(self._once))
        except KafkaUnavailableError:
            if self._stop.is_set():
                return False
            raise
        return True

    def _resync(self) -> None:
        """Adopts the states Kafka holds for the owned feeds and schedules every idle feed
        from them."""
        self._states = self._store.restore(self._owned)
        self._rebuild_index()
        now = utc_now()
        for url in self._feeds:
            self._reschedule(url, self._state(url).due_at(now))
        self._refresh_metrics()

    def _rebuild_index(self) -> None:
        window = self._settings.seen_window
        self._size_index()  # first: a rebuild keeps only as many entries as the index holds
        self._index.rebuild(
            (url, ArticleLog.from_bytes(window, state.articles))
            for url, state in self._states.items()
        )

    def _size_index(self) -> None:
        """Room for what every feed's log holds, and a window more per feed for what comes."""
        logged = sum(len(state.articles) for state in self._states.values()) // ARTICLE_LOG_BYTES
        feeds = max(1, len(self._feeds), len(self._states))
        self._index.resize(min(logged + self._settings.seen_window * feeds, MAX_INDEX_ENTRIES))

    def _publish_list(self) -> None:
        """Writes a reloaded feeds file to the feed list, or tries again at the next step; the
        group hands the changes back as entries."""
        if self._unpublished is None:
            return
        topic, timeout = self._settings.topics.ingest_feeds, self._settings.publish_timeout
        try:
            publish_list(self._settings.kafka, topic, self._unpublished, timeout)
        except KafkaUnavailableError as exc:
            self._readiness.not_ready(f"Kafka: {exc}")
            log.error("feed list not published; retrying", extra={"error": str(exc)})
            return
        self._unpublished = None

    def _configure(self) -> None:
        """Adopts the owned feed list: new feeds are scheduled, removed ones dropped, and those
        whose entry changed polled at once (an edit that fixes a feed's headers, or shortens its
        interval, would otherwise wait out a back-off of hours)."""
        enabled = {url: feed for url, (_, feed) in self._entries.items() if feed.enabled}
        edited = {url for url, feed in self._feeds.items() if enabled.get(url, feed) != feed}
        for url, old in self._feeds.items():
            if url not in enabled or enabled[url].name != old.name:
                metrics.FEED_LAST_SUCCESS.remove(old.name)
                metrics.FEED_ERROR_STREAK.remove(old.name)
            if url not in enabled:
                self._scheduler.remove(url)
        added = enabled.keys() - self._feeds.keys()
        self._feeds = enabled
        now = utc_now()
        for url in added:
            self._reschedule(url, self._state(url).due_at(now))
        for url in edited:
            self._reschedule(url, now.timestamp())
        self._size_index()
        self._refresh_metrics()

    def _reschedule(self, url: str, at: float) -> None:
        if url not in self._feeds:
            return
        if self._once:  # a pass polls each feed once, now, whatever its schedule says
            if url not in self._polled:
                self._scheduler.schedule(url, 0.0, self._state(url).poll_url)
            return
        self._scheduler.schedule(url, at, self._state(url).poll_url)

    def _state(self, url: str) -> FeedState:
        return self._states.get(url) or FeedState(url=url)

    def _probe(self) -> None:
        self._next_probe = time.monotonic() + PROBE_INTERVAL
        try:
            self._store.probe()
        except KafkaUnavailableError as exc:
            self._readiness.not_ready(str(exc))
            log.warning("Kafka does not answer", extra={"error": str(exc)})
        else:
            self._readiness.ready()

    def _refresh_metrics(self) -> None:
        for url, feed in self._feeds.items():
            self._feed_metrics(feed, self._state(url))
        self._update_gauges()

    def _feed_metrics(self, feed: FeedConfig, state: FeedState) -> None:
        metrics.FEED_ERROR_STREAK.labels(feed.name).set(state.error_streak)
        # 0 for a feed that never succeeded: a series from the start, which the dashboard reads
        # as never; its error streak says why, and NewswireFeedsFailing fires on it.
        last_success = state.last_success_at.timestamp() if state.last_success_at else 0
        metrics.FEED_LAST_SUCCESS.labels(feed.name).set(last_success)

    def _update_gauges(self) -> None:
        self._next_gauges = time.monotonic() + TICK
        # A feed never polled has no state yet, and is neither: none is made up for it each tick.
        states = (self._states.get(url) for url in self._feeds)
        health = Counter(state.healthy for state in states if state is not None)
        metrics.FEEDS_CONFIGURED.set(len(self._feeds))
        metrics.FEEDS_HEALTHY.set(health[True])
        metrics.FEEDS_FAILING.set(health[False])


def _as_outcome(article: RawArticle, outcome: Outcome) -> RawArticle:
    """The article as published with its final outcome: an update the feed's own window took
    for a new item (its identity changed, its article did not) is dated by the fetch."""
    if outcome is Outcome.UPDATED and article.updated_at is None:
        return article.model_copy(update={"updated_at": article.fetched_at})
    return article

"""The ingest service: poll feeds and read seeds, publish the articles with the state covering them.

Only orchestration lives here. One loop starts the polls that are due (`Scheduler`) in worker
threads (`Poller`), gathers the finished ones, and writes each batch in one Kafka transaction
(`Transactions`): the articles the polls found and the feed states that cover them, together.
The state in memory moves on only after the commit. When a transaction fails, the producer is
replaced (which fences the old one and settles its transaction) and the state is read back from
the state topic, so memory never runs ahead of Kafka and a crash at any instant neither loses nor
doubles an article.
"""

import logging
import random
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack

from newswire.errors import KafkaUnavailableError, RecordsRejectedError
from newswire.kafka.serde import article_key
from newswire.kafka.topics import COMPACTED, TopicSpec, ensure_topics
from newswire.lifecycle import retry_until_stopped
from newswire.observability.endpoints import EndpointServer, Readiness
from schemas import RawArticle, utc_now
from services.ingest import metrics
from services.ingest.crossfeed import MAX_INDEX_ENTRIES, ArticleIndex, ArticleLog
from services.ingest.dedup import Outcome
from services.ingest.feeds import FeedConfig
from services.ingest.fetch import Fetcher
from services.ingest.poll import Poller, PollResult
from services.ingest.publish import Outgoing, Transactions
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


def run(settings: IngestSettings, once: bool, stop: threading.Event) -> int:
    """Publishes seeds and feeds until stopped; with `once`, one pass over every source.

    Returns 0 when everything was acknowledged; 1 when a transaction failed in a `once` pass.
    Feed errors are counted and logged, and are no failure of the process.
    """
    readiness = Readiness()
    feed_list = FeedList(settings.feeds_file, settings.feeds_watch_interval)
    feeds = feed_list.load()  # a broken file at start-up is a ConfigError: nothing to run
    feed_list.reload_on_sighup()
    topics = settings.topics
    with ExitStack() as stack:
        stack.enter_context(EndpointServer(settings.metrics_host, settings.metrics_port, readiness))
        specs = [TopicSpec(topics.raw), TopicSpec(topics.ingest_state, COMPACTED)]
        retry_until_stopped(
            stop, "create topics", lambda: ensure_topics(settings.kafka, topics, specs)
        )
        transactions = stack.enter_context(
            Transactions(
                settings.kafka, settings.producer_transactional_id(), settings.publish_timeout, stop
            )
        )
        # Before the state is read: this settles any transaction a crashed predecessor left.
        retry_until_stopped(stop, "start transactions", transactions.open)
        store = retry_until_stopped(
            stop,
            "open the state topic",
            lambda: StateStore(settings.kafka, topics.ingest_state, settings.publish_timeout),
        )
        stack.callback(store.close)
        fetcher = stack.enter_context(Fetcher(settings.fetch))
        pool = ThreadPoolExecutor(settings.max_concurrent_polls, thread_name_prefix="poll")
        # Runs before the fetcher closes, which ends fetches in flight: a stop does not wait
        # for slow feeds.
        stack.callback(pool.shutdown, wait=False, cancel_futures=True)
        poller = Poller(fetcher, settings, random.Random())
        service = Ingest(settings, transactions, store, poller, pool, readiness, stop, once)
        return service.run(feeds, feed_list)


class Ingest:
    """The service loop and what it holds: feeds, their states, the schedule, the index."""

    def __init__(
        self,
        settings: IngestSettings,
        transactions: Transactions,
        store: StateStore,
        poller: Poller,
        pool: ThreadPoolExecutor,
        readiness: Readiness,
        stop: threading.Event,
        once: bool,
    ) -> None:
        self._settings = settings
        self._transactions = transactions
        self._store = store
        self._poller = poller
        self._pool = pool
        self._readiness = readiness
        self._stop = stop
        self._once = once
        self._feeds: dict[str, FeedConfig] = {}  # enabled feeds, by configured URL
        self._states: dict[str, FeedState] = {}
        self._index = ArticleIndex(settings.seen_window)
        self._scheduler = Scheduler(settings.max_concurrent_polls, settings.max_polls_per_host)
        self._running: set[Future[PollResult]] = set()
        self._seeds = SeedScanner(settings.seeds_dir)
        self._next_seed_scan = 0.0
        self._next_probe = time.monotonic() + PROBE_INTERVAL
        self._next_gauges = 0.0
        self._summary: Counter[str] = Counter()
        self._polled: set[str] = set()  # feeds polled since the start

    def run(self, feeds: list[FeedConfig], feed_list: FeedList) -> int:
        self._configure(feeds)
        retry_until_stopped(self._stop, "read the feed state", self._resync)
        self._readiness.ready()
        if self._once:
            return self._run_once()
        while not self._stop.is_set():
            if (reloaded := feed_list.changed()) is not None:
                self._configure(reloaded)
            if time.monotonic() >= self._next_seed_scan:
                self._next_seed_scan = time.monotonic() + self._settings.seed_scan_interval
                if not self._publish_seeds():
                    self._recover()
            self._step()
        return 0

    def _run_once(self) -> int:
        """Seeds, then every enabled feed once; stops at the first failed transaction."""
        if not self._publish_seeds():
            return 1
        while not self._scheduler.idle and not self._stop.is_set():
            if not self._step():
                return 1
        log.info("ingest pass done", extra=dict(self._summary))
        return 0 if self._scheduler.idle else 1

    def _step(self) -> bool:
        """Starts due polls, waits for some to finish and commits them; False if that failed."""
        for url in self._scheduler.start(time.time()):
            base = self._states.setdefault(url, FeedState(url=url))
            self._running.add(self._pool.submit(self._poller.poll, self._feeds[url], base))
        finished = self._wait_for_polls()
        committed = self._commit(finished) if finished else True
        if not finished and not self._once and time.monotonic() >= self._next_probe:
            self._probe()
        if time.monotonic() >= self._next_gauges:  # a pass over all feeds: not at every commit
            self._update_gauges()
        return committed

    def _wait_for_polls(self) -> list[PollResult]:
        next_due = self._scheduler.next_due()
        timeout = TICK if next_due is None else min(TICK, max(0.0, next_due - time.time()))
        if not self._running:
            self._stop.wait(timeout)
            return []
        done, self._running = wait(self._running, timeout=timeout, return_when=FIRST_COMPLETED)
        return [future.result() for future in done]  # a poll never raises

    def _commit(self, finished: list[PollResult]) -> bool:
        """Writes the polls' new articles and states in one transaction, then adopts them."""
        current: list[PollResult] = []
        for result in finished:
            if self._states.get(result.base.url) is result.base:
                current.append(result)
            else:  # it began from a state since replaced (read back after a failure): redo it
                self._scheduler.finish(result.base.url)
                self._reschedule(result.base.url, time.time())
        pending: dict[int, int] = {}
        plans = [self._plan(result, pending) for result in current]
        articles = [article for _, _, published in plans for article in published]
        states = [result.state for result in current if result.write_state]
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
        self, result: PollResult, pending: dict[int, int]
    ) -> tuple[PollResult, list[Outcome], list[RawArticle]]:
        """The final outcome of each candidate of a poll, and the articles to publish: those no
        feed published with the same text, before or earlier in this transaction."""
        candidates = [(c.word, c.digest, c.outcome) for c in result.candidates]
        outcomes = self._index.select(candidates, pending)
        published = [
            candidate.article
            for candidate, outcome in zip(result.candidates, outcomes, strict=True)
            if outcome is not Outcome.DUPLICATE
        ]
        return result, outcomes, published

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
                retry_until_stopped(self._stop, "restart transactions", self._transactions.open)

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
            self._transactions.write(records, one_by_one)
        except KafkaUnavailableError as exc:
            metrics.TRANSACTIONS.labels("failed").inc()
            for article in articles:
                metrics.PUBLISH_FAILURES.labels(article.source.kind.value).inc()
            self._readiness.not_ready(f"Kafka: {exc}")
            log.error("transaction failed; its work will be done again", extra={"error": str(exc)})
            return False
        metrics.TRANSACTIONS.labels("committed").inc()
        metrics.PUBLISH_DURATION.observe(time.perf_counter() - started)
        for article in articles:
            metrics.ARTICLES_PUBLISHED.labels(article.source.kind.value).inc()
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
        try:
            retry_until_stopped(self._stop, "restart transactions", self._transactions.open)
            retry_until_stopped(self._stop, "read the feed state", self._resync)
        except KafkaUnavailableError:
            if self._stop.is_set():
                return  # stopping anyway; the next start recovers the same way
            raise
        self._readiness.ready()

    def _resync(self) -> None:
        """Adopts the state topic's contents and schedules every idle feed from them."""
        self._states = self._store.restore()
        window = self._settings.seen_window
        self._index.rebuild(
            ArticleLog.from_bytes(window, state.articles) for state in self._states.values()
        )
        now = utc_now()
        for url in self._feeds:
            self._reschedule(url, self._state(url).due_at(now))
        self._refresh_metrics()

    def _configure(self, feeds: list[FeedConfig]) -> None:
        """Adopts a feed list: new feeds are scheduled, removed ones dropped, others updated."""
        enabled = {feed.url: feed for feed in feeds if feed.enabled}
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
        carried = self._settings.seen_window * max(1, len(enabled))
        self._index.resize(min(carried, MAX_INDEX_ENTRIES))
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
        if state.last_success_at is not None:
            metrics.FEED_LAST_SUCCESS.labels(feed.name).set(state.last_success_at.timestamp())

    def _update_gauges(self) -> None:
        self._next_gauges = time.monotonic() + TICK
        health = Counter(self._state(url).healthy for url in self._feeds)
        metrics.FEEDS_CONFIGURED.set(len(self._feeds))
        metrics.FEEDS_HEALTHY.set(health[True])
        metrics.FEEDS_FAILING.set(health[False])

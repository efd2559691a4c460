"""One poll of one feed: fetch, parse, classify, build the articles and the state that covers them.

Nothing here touches Kafka or changes shared state: a poll reads the feed's (immutable) state and
returns a `PollResult` saying what to publish and what the feed's state becomes once that is
published. The pipeline writes both in one transaction, and only then adopts the new state, so a
poll whose transaction fails is simply done again from the old one. Polls of different feeds run
in worker threads side by side; one feed is never polled twice at once.
"""

import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from newswire.errors import (
    BodyTooLargeError,
    ContentEncodingError,
    FeedConfigError,
    FeedError,
    FeedHTTPStatusError,
    FeedParseError,
    FetchNetworkError,
    FetchTimeoutError,
    ForbiddenAddressError,
    InvalidFeedURLError,
    TooManyRedirectsError,
)
from schemas import RawArticle, Source, utc_now
from services.ingest import metrics
from services.ingest.crossfeed import ArticleLog, article_word
from services.ingest.dedup import Decision, Outcome, SeenWindow
from services.ingest.feeds import FeedConfig
from services.ingest.fetch import Fetcher, FetchResult
from services.ingest.fit import ArticleTooLargeError, fitted_article
from services.ingest.identity import id_from_content_hash, id_from_guid
from services.ingest.normalize import ArticleKeys, article_keys
from services.ingest.parse import MAX_ITEMS, ParsedFeed, parse_feed
from services.ingest.schedule import error_backoff, next_poll_delay, publishing_interval
from services.ingest.settings import IngestSettings
from services.ingest.state import FeedState

log = logging.getLogger(__name__)

OK = "ok"
NOT_MODIFIED = "not_modified"
INTERNAL = "internal"  # a bug met in a poll: counted and backed off like any feed error
STOPPED = "stopped"  # the service stopped during the fetch: nothing to record
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)  # first-seen times are kept exactly, as integers

# The fetches counter's (outcome, status class) pairs that polls give, each error with the status
# class it comes with. Their series exist from the start, at 0: rate() needs a sample before the
# first event, and a series born at 1 hides it (a feed's first timeout would not show).
USUAL_FETCHES = [
    (OK, "2xx"),
    (NOT_MODIFIED, "3xx"),
    ("http_4xx", "4xx"),
    ("http_5xx", "5xx"),
    *((error.reason, "2xx") for error in (FeedParseError, BodyTooLargeError)),
    (TooManyRedirectsError.reason, "3xx"),
    *(
        (error.reason, "none")  # no response, or the error came before its status was read
        for error in (
            FetchTimeoutError,
            FetchNetworkError,
            ForbiddenAddressError,
            InvalidFeedURLError,
            ContentEncodingError,
            FeedConfigError,
        )
    ),
    (INTERNAL, "none"),
]
for _outcome, _status_class in USUAL_FETCHES:
    metrics.FETCHES.labels(_outcome, _status_class)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item the feed's own window calls new or updated; other feeds may have published it."""

    article: RawArticle
    word: int  # `article_word` of its id
    digest: int  # of its text, as `SeenWindow` keeps it
    seen: int  # when the feed first showed it, as `ArticleLog` keeps it
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class PollResult:
    feed: FeedConfig
    base: FeedState  # the state the poll started from
    state: FeedState  # the state once `candidates` are published
    outcome: str  # ok, not_modified, or the error's reason
    write_state: bool = True  # False when only the schedule moved (a plain 304)
    candidates: list[Candidate] = field(default_factory=list)
    settled: Counter[Outcome] = field(default_factory=Counter)  # unchanged, duplicate in feed


class Poller:
    """Polls feeds with one shared `Fetcher`; safe to call from several threads at once."""

    def __init__(self, fetcher: Fetcher, settings: IngestSettings, rng: random.Random) -> None:
        self._fetcher = fetcher
        self._settings = settings
        self._rng = rng
        # Reading a fetched feed is pure-Python CPU work, which the GIL runs one thread at a time
        # anyway; threads contending for it spent up to a third more CPU per item, in GIL
        # hand-offs, than threads taking turns. Fetches still overlap; reads take turns.
        self._reading = threading.Lock()

    def poll(self, feed: FeedConfig, base: FeedState) -> PollResult:
        """Never raises: whatever goes wrong is this feed's error, and it is polled again later."""
        now = utc_now()
        try:
            return self._poll(feed, base, now)
        except Exception as exc:
            if self._fetcher.closed:  # a fetch the stop ended, or a hop the closed client refused
                return PollResult(feed, base, base, STOPPED, write_state=False)
            log.exception("feed poll failed unexpectedly", extra={"feed": feed.name})
            metrics.FETCHES.labels(INTERNAL, "none").inc()
            return self._failed(feed, base, now, INTERNAL, f"{type(exc).__name__}: {exc}", None)

    def _poll(self, feed: FeedConfig, base: FeedState, now: datetime) -> PollResult:
        started = time.monotonic()
        try:
            headers = feed.request_headers()
            fetched = self._fetcher.fetch(base.poll_url, base.validators, headers, feed.url)
        except FeedError as error:
            if self._fetcher.closed:
                raise  # ended by a stop, no fault of the feed's: `poll` says so
            _count_fetch(error.reason, error.status, time.monotonic() - started, 0)
            http = error if isinstance(error, FeedHTTPStatusError) else None
            retry_after = http.retry_after if http else None
            return self._failed(feed, base, now, error.reason, error.detail, retry_after)
        if fetched.not_modified:
            _count_fetch(NOT_MODIFIED, fetched.status, fetched.elapsed, 0)
            return self._not_modified(feed, base, fetched, now)
        with self._reading:
            return self._read(feed, base, fetched, now)

    def _read(
        self, feed: FeedConfig, base: FeedState, fetched: FetchResult, now: datetime
    ) -> PollResult:
        try:
            parsed = parse_feed(fetched.body, fetched.headers, fetched.url)
        except FeedError as error:
            _count_fetch(error.reason, fetched.status, fetched.elapsed, len(fetched.body))
            return self._failed(feed, base, now, error.reason, error.detail, None)
        _count_fetch(OK, fetched.status, fetched.elapsed, len(fetched.body))
        if parsed.warning:
            log.info("feed read best-effort", extra={"feed": feed.name, "warning": parsed.warning})
        if parsed.skipped:
            _report_skipped(feed, parsed)
        return self._parsed(feed, base, fetched, parsed, now)

    def _failed(
        self,
        feed: FeedConfig,
        base: FeedState,
        now: datetime,
        reason: str,
        detail: str,
        retry_after: float | None,
    ) -> PollResult:
        streak = base.error_streak + 1
        settings = self._settings
        delay = error_backoff(
            streak, settings.backoff_base, settings.backoff_cap, self._rng, retry_after
        )
        log.warning(
            "feed poll failed",
            extra={
                "feed": feed.name,
                "reason": reason,
                "detail": detail[:500],
                "error_streak": streak,
                "retry_in_seconds": round(delay, 1),
            },
        )
        state = base.model_copy(
            update={
                "error_streak": streak,
                "last_error": reason,
                "next_poll_at": now + timedelta(seconds=delay),
            }
        )
        return PollResult(feed, base, state, reason)

    def _not_modified(
        self, feed: FeedConfig, base: FeedState, fetched: FetchResult, now: datetime
    ) -> PollResult:
        state = self._succeeded(feed, base, fetched, now, base.interval_hint, [])
        # The schedule alone is not worth a write: after a restart the feed is polled a little
        # early, and answers 304 again.
        changed = (state.validators, state.moved_to, state.error_streak) != (
            base.validators,
            base.moved_to,
            base.error_streak,
        )
        return PollResult(feed, base, state, NOT_MODIFIED, write_state=changed)

    def _parsed(
        self,
        feed: FeedConfig,
        base: FeedState,
        fetched: FetchResult,
        parsed: ParsedFeed,
        now: datetime,
    ) -> PollResult:
        if parsed.unread:
            metrics.SOURCE_ERRORS.labels(parsed.kind.value, "too_many_items").inc(parsed.unread)
            log.warning(
                "feed items beyond the limit skipped",
                extra={"feed": feed.name, "items": parsed.unread, "limit": MAX_ITEMS},
            )
        capacity = self._settings.seen_window
        window = SeenWindow.from_bytes(capacity, base.seen)
        decisions = window.classify(parsed.items)
        window.record(decisions)
        articles = ArticleLog.from_bytes(capacity, base.articles)
        source = Source(
            kind=parsed.kind, feed_url=base.poll_url, feed_title=parsed.title, site=parsed.site
        )
        candidates, settled = _built(feed, source, decisions, articles, now, base.last_success_at)
        times = [
            item.published_at
            for item in parsed.items
            if item.published_at and not item.published_at_inferred
        ]
        hints = [hint for hint in (parsed.ttl, publishing_interval(times)) if hint is not None]
        state = self._succeeded(feed, base, fetched, now, parsed.ttl, times).model_copy(
            update={
                "interval_hint": max(hints, default=None),
                "seen": window.to_bytes(),
                "articles": articles.to_bytes(),
            }
        )
        return PollResult(feed, base, state, OK, candidates=candidates, settled=settled)

    def _succeeded(
        self,
        feed: FeedConfig,
        base: FeedState,
        fetched: FetchResult,
        now: datetime,
        ttl: float | None,
        item_times: list[datetime],
    ) -> FeedState:
        settings = self._settings
        delay = next_poll_delay(
            feed.interval or settings.default_interval,
            ttl,
            fetched.cache_max_age,
            fetched.expires,
            fetched.retry_after,
            settings.min_interval,
            settings.max_interval,
            item_times,
        )
        moved_to = base.moved_to
        if fetched.permanent_redirect_url is not None:
            moved_to = fetched.permanent_redirect_url
        return base.model_copy(
            update={
                "moved_to": None if moved_to == feed.url else moved_to,
                "validators": fetched.validators,
                "next_poll_at": now + timedelta(seconds=delay),
                "error_streak": 0,
                "last_error": None,
                "last_success_at": now,
            }
        )


def _built(
    feed: FeedConfig,
    source: Source,
    decisions: list[Decision],
    articles: ArticleLog,
    now: datetime,
    last_look: datetime | None,
) -> tuple[list[Candidate], Counter[Outcome]]:
    """The records of the new and updated items, and the count of the others; `articles` learns
    every item the feed carries now, and `last_look` is when the feed was last read. An item
    that gives no record (a link that is no URL, too large) is counted and logged, and the rest
    of the feed goes on."""
    candidates: list[Candidate] = []
    settled: Counter[Outcome] = Counter()
    carried: list[tuple[int, int]] = []
    shared = _shared_links(decisions)
    seen_now = (now - _EPOCH) // _MICROSECOND
    for decision in decisions:
        try:
            keys = _item_keys(decision, feed.url, shared)
            word = article_word(keys.id)
            first_seen = articles.first_seen(word)
            if decision.outcome in (Outcome.UPDATED, Outcome.UNCHANGED) and first_seen is None:
                # A known identity on an article the feed never carried: a GUID it reused, or
                # whose link changed (the same text at another address), is another article.
                decision = replace(decision, outcome=Outcome.NEW)
            if decision.outcome in (Outcome.NEW, Outcome.UPDATED):
                article = _article(decision, keys, source, first_seen, now, last_look)
                seen = seen_now if first_seen is None else first_seen
                candidates.append(Candidate(article, word, decision.digest, seen, decision.outcome))
            else:
                settled[decision.outcome] += 1
        except ValueError as exc:  # pydantic's ValidationError too: one odd item, not the feed
            reason = exc.reason if isinstance(exc, ArticleTooLargeError) else "invalid_item"
            metrics.SOURCE_ERRORS.labels(source.kind.value, reason).inc()
            log.warning("feed item skipped", extra={"feed": feed.name, "error": str(exc)})
            continue
        carried.append((word, decision.digest))
    articles.record(carried, seen_now)
    return candidates, settled


def _item_keys(decision: Decision, feed_url: str, shared_links: set[str]) -> ArticleKeys:
    """The keys of an item's article; ValueError when its link is not a URL. An item whose link
    names an article of its own is that article. Otherwise, when it has no link (an id from its
    text, which an edit changes, would make each version another article) or other items of the
    document share it (a podcast's episodes all linking to the show's page, a club's notices on
    one page or its anchors), it is its GUID's article, or without a GUID its text's."""
    # Without keys the link is not a URL: working them out raises why, as it should.
    keys = decision.keys or article_keys(decision.draft)
    if keys.url is None or keys.url in shared_links:
        if decision.guid is not None:
            return replace(keys, id=id_from_guid(feed_url, decision.guid))
        return replace(keys, id=id_from_content_hash(keys.content_hash))
    return keys


def _shared_links(decisions: list[Decision]) -> set[str]:
    links = Counter(d.keys.url for d in decisions if d.keys is not None and d.keys.url)
    return {link for link, count in links.items() if count > 1}


def _article(
    decision: Decision,
    keys: ArticleKeys,
    source: Source,
    first_seen: int | None,
    fetched_at: datetime,
    last_look: datetime | None,
) -> RawArticle:
    """The record of a new or updated item, fetched at `fetched_at`; the feed was last read at
    `last_look`. An item without a date keeps the time it was first seen across its updates.
    An update is dated by the feed only with a time after the last look, which read the text
    before the edit: an older one (a feed that edits an entry and keeps its `updated`) is the
    previous version's, and the update is dated by this fetch."""
    draft = decision.draft
    update: dict[str, datetime] = {}
    if draft.published_at is None and first_seen is not None:
        update["published_at"] = _EPOCH + first_seen * _MICROSECOND
    if decision.outcome is Outcome.UPDATED and (
        draft.updated_at is None or (last_look is not None and draft.updated_at <= last_look)
    ):
        update["updated_at"] = fetched_at
    if update:  # the keys stay valid: dates are not part of them
        draft = draft.model_copy(update=update)
    return fitted_article(draft, source, fetched_at, keys)


def _report_skipped(feed: FeedConfig, parsed: ParsedFeed) -> None:
    """Items the parser could make nothing of: counted by reason, and logged once per poll."""
    reasons = Counter(item.reason for item in parsed.skipped)
    for reason, count in reasons.items():
        metrics.SOURCE_ERRORS.labels(parsed.kind.value, reason).inc(count)
    log.warning(
        "feed items skipped",
        extra={"feed": feed.name, "items": dict(reasons), "first": parsed.skipped[0].detail},
    )


def _count_fetch(outcome: str, status: int | None, seconds: float, size: int) -> None:
    metrics.FETCHES.labels(outcome, metrics.status_class(status)).inc()
    result = outcome if outcome in (OK, NOT_MODIFIED) else "error"
    metrics.FETCH_DURATION.labels(result).observe(seconds)
    metrics.FETCHED_BYTES.inc(size)

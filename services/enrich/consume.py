"""The enrich service's one loop: poll raw records, tag them, produce enriched ones, commit.

Each poll's batch is committed through a `Checkpoint` (one transaction by default) before the
next poll. Kafka rebalances only inside `poll()`, so no transaction is ever open across one; a
member that lost its place in the group while tagging (say it outlasted max.poll.interval.ms)
cannot commit, because its offsets carry its group metadata (KIP-447), and aborts instead.

When a batch is not committed, nothing of it is: its checkpoint is closed (the transaction
aborted), a new one opened with the same transactional id (fencing the old producer), and each
partition of the batch sought back to its committed offset, read only once no transaction is
pending on it, so a commit that timed out but went through is not repeated. The batch is then
polled and processed again, after a back-off that grows with each consecutive failure.

`/readyz` says not ready from start-up until Kafka answers, whenever a poll, a commit or the
periodic probe of the raw topic's end offsets fails, and from the moment a stop is requested.
"""

import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from newswire.errors import (
    CheckpointError,
    DecodeError,
    EnrichmentError,
    KafkaUnavailableError,
    NewswireError,
    RecordTooLargeError,
)
from newswire.kafka.clients import make_consumer, subscribe
from newswire.kafka.serde import ArticleSerializer, Headers, article_key, decode_article, header
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.kafka.unreadable import Polled, UnreadableRecord, poll_records
from newswire.lifecycle import retry_until_stopped
from newswire.observability.endpoints import EndpointServer, Readiness
from schemas import EnrichedArticle, RawArticle, utc_now
from services.enrich import metrics
from services.enrich.checkpoint import (
    CLIENT_ID,
    Checkpoint,
    Offsets,
    checkpoint_failure,
    open_checkpoint,
)
from services.enrich.dead_letter import DeadLetter, record_size
from services.enrich.language import is_english
from services.enrich.output import send_batch
from services.enrich.settings import EnrichSettings
from services.enrich.tag import Tagger

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 500
PROBE_TIMEOUT_MS = 2000
PROBE_INTERVAL_NOT_READY = 1.0  # seconds; when ready, every `lag_interval`
NOT_READY_REPEAT_S = 60.0
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 15.0
_SERIALIZER = ArticleSerializer()
_T = TypeVar("_T")


@dataclass
class BatchResult:
    enriched: list[EnrichedArticle] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def decode(record: ConsumerRecord, max_bytes: int) -> RawArticle:
    """The raw article a record holds, or a `DecodeError` saying why it holds none."""
    if record.value is not None and len(record.value) > max_bytes:
        raise DecodeError("too_large", f"{len(record.value)} bytes, the limit is {max_bytes}")
    schema = header(record.headers, "schema")
    if schema is not None and schema != RawArticle.SCHEMA:
        raise DecodeError("unsupported_schema", f"{schema!r}, expected {RawArticle.SCHEMA!r}")
    return decode_article(record.value, RawArticle)


def enrich_batch(records: Sequence[Polled], tagger: Tagger, max_bytes: int) -> BatchResult:
    """Tags the decodable records of a batch; everything else becomes a dead letter."""
    result = BatchResult()
    decoded: list[tuple[ConsumerRecord, RawArticle]] = []
    for record in records:
        if isinstance(record, UnreadableRecord):
            unreadable = DecodeError("unreadable", record.error)
            result.dead_letters.append(DeadLetter(record.as_record(), "decode", unreadable))
            continue
        try:
            decoded.append((record, decode(record, max_bytes)))
        except DecodeError as undecodable:
            result.dead_letters.append(DeadLetter(record, "decode", undecodable))
    if not decoded:
        return result
    started = time.perf_counter()
    try:
        articles = tagger.tag([article for _, article in decoded])
        tagged = list(zip([record for record, _ in decoded], articles, strict=True))
    except Exception:
        log.exception("batch tagging failed; tagging its articles one by one")
        tagged = []
        for record, article in decoded:
            try:
                tagged += [(record, enriched) for enriched in tagger.tag([article])]
            except Exception as exc:
                error = EnrichmentError(f"{type(exc).__name__}: {exc}")
                result.dead_letters.append(DeadLetter(record, "enrich", error))
    for record, enriched in tagged:
        size = _record_size(enriched)
        if size > max_bytes:
            oversized = RecordTooLargeError(
                f"the enriched record is {size} bytes, the limit is {max_bytes}"
            )
            result.dead_letters.append(DeadLetter(record, "enrich", oversized))
        else:
            result.enriched.append(enriched)
    metrics.BATCH_DURATION.observe(time.perf_counter() - started)
    metrics.BATCH_SIZE.observe(len(decoded))
    return result


def _record_size(article: EnrichedArticle) -> int:
    """The enriched record's size as Kafka will count it; a raw article just under the limit
    grows past it with its entities, topics and keywords."""
    headers: Headers = []
    value = _SERIALIZER.serialize("", headers, article)
    return record_size(article_key(article), value, headers)


class EnrichService:
    def __init__(self, settings: EnrichSettings, tagger: Tagger, stop: threading.Event) -> None:
        self._settings = settings
        self._tagger = tagger
        self._stop = stop
        self._readiness = Readiness()
        # One per process: a restarted process relies on KIP-447 fencing, not on this id.
        self._transactional_id = (
            f"{settings.group_id}-{uuid.uuid4().hex}"
            if settings.delivery == "exactly_once"
            else None
        )
        self._checkpoint: Checkpoint | None = None
        self._failures = 0  # consecutive; sets the next back-off
        self._next_probe = 0.0
        self._said_not_ready_at = -math.inf
        self._unready: tuple[float, BaseException] | None = None  # since (monotonic), last error
        self._kafka_wait: float | None = None  # how long a one-shot run waits for Kafka
        self._lag: int | None = None  # unknown until a probe of the current assignment answers
        self._membership = _Membership()

    def run(self, until_idle: float | None = None) -> int:
        """Processes the raw topic until stopped, or until drained and idle for `until_idle` s."""
        settings = self._settings
        self._kafka_wait = settings.kafka_wait(one_shot=until_idle is not None)
        try:
            with ExitStack() as stack:
                stack.enter_context(
                    EndpointServer(settings.metrics_host, settings.metrics_port, self._readiness)
                )
                self._follow_stop()
                self._prepare_topics()
                consumer = self._retry("connect consumer", self._make_consumer)
                stack.callback(_close_consumer, consumer, settings.close_timeout)
                stack.callback(self._discard_checkpoint)  # runs first: no transaction left open
                self._loop(consumer, until_idle)
        except NewswireError as exc:
            if not (exc.retriable and self._stop.is_set()):
                raise
            log.warning("stopped before Kafka could be reached", extra={"error": str(exc)})
        log.info("stopped")
        return 0

    def _make_consumer(self) -> KafkaConsumer:
        settings = self._settings
        consumer = make_consumer(
            settings.kafka,
            CLIENT_ID,
            settings.group_id,
            max_poll_records=settings.batch_size,
            max_poll_interval_ms=settings.max_poll_interval_ms,
            session_timeout_ms=int(settings.session_timeout * 1000),
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
            bootstrap_timeout_ms=int(settings.commit_timeout * 1000),
            fetch_max_bytes=max(52_428_800, settings.max_record_bytes * 4),
        )
        try:
            subscribe(consumer, settings.topics.raw, self._membership)
        except KafkaUnavailableError:
            consumer.close()
            raise
        return consumer

    def _loop(self, consumer: KafkaConsumer, until_idle: float | None) -> None:
        last_work = time.monotonic()
        while not self._stop.is_set():
            self._give_up_if_unready()
            checkpoint = self._checkpoint or self._open_checkpoint(consumer)
            try:
                records = poll_records(consumer, POLL_TIMEOUT_MS, self._settings.batch_size)
            except KafkaError as exc:
                self._not_ready("poll failed", exc)
                self._back_off()
                continue
            if records:
                self._process(consumer, checkpoint, records)
                last_work = time.monotonic()
            self._probe(consumer, force=until_idle is not None and not records)
            idle = time.monotonic() - last_work
            if until_idle is not None and self._drained(consumer) and idle >= until_idle:
                log.info("raw topic drained; stopping", extra={"idle_seconds": round(idle, 1)})
                return

    def _process(
        self, consumer: KafkaConsumer, checkpoint: Checkpoint, records: list[Polled]
    ) -> None:
        started = time.monotonic()
        result = enrich_batch(records, self._tagger, self._settings.max_record_bytes)
        self._check_pace(time.monotonic() - started, len(records))
        try:
            checkpoint.begin()
            sent = self._send(checkpoint.producer, result)
            checkpoint.commit(_offsets_after(records), sent)
        except CheckpointError as exc:
            self._recover(consumer, records, exc)
            return
        self._failures = 0
        self._ready()
        self._record_outcomes(result)

    def _send(self, producer: KafkaProducer, result: BatchResult) -> list[Any]:
        try:
            return send_batch(
                producer,
                self._settings.topics,
                result.enriched,
                result.dead_letters,
                self._settings.max_record_bytes,
            )
        except KafkaError as exc:
            raise checkpoint_failure("send the batch", exc) from exc

    def _recover(
        self, consumer: KafkaConsumer, records: list[Polled], exc: CheckpointError
    ) -> None:
        """After a batch that was not committed: a new checkpoint, and the batch read again."""
        metrics.CHECKPOINT_FAILURES.labels(exc.reason).inc()
        self._readiness.not_ready(f"batch not committed: {exc}")
        log.error(
            "batch not committed; it will be processed again",
            extra={"reason": exc.reason, "records": len(records)},
            exc_info=exc,
        )
        self._discard_checkpoint()
        self._back_off()
        if self._stop.is_set():
            return  # nothing of the batch is committed: a restart reads it again
        self._open_checkpoint(consumer)
        timeout_ms = int(self._settings.commit_timeout * 1000)
        self._retry(
            "rewind to the committed offsets", lambda: _rewind(consumer, records, timeout_ms)
        )

    def _open_checkpoint(self, consumer: KafkaConsumer) -> Checkpoint:
        self._checkpoint = self._retry(
            "open a checkpoint",
            lambda: open_checkpoint(self._settings, consumer, self._transactional_id),
        )
        return self._checkpoint

    def _prepare_topics(self) -> None:
        """Creates the topics, and checks that those it writes take the records it makes."""
        settings, topics = self._settings, self._settings.topics
        limit = settings.max_record_bytes
        specs = [
            TopicSpec(topics.raw),
            TopicSpec(topics.enriched, max_record_bytes=limit),
            TopicSpec(topics.dlq, max_record_bytes=limit),
        ]
        self._retry("create topics", lambda: ensure_topics(settings.kafka, topics, specs))

    def _retry(self, what: str, action: Callable[[], _T]) -> _T:
        return retry_until_stopped(self._stop, what, action, self._kafka_wait, self._readiness)

    def _discard_checkpoint(self) -> None:
        checkpoint, self._checkpoint = self._checkpoint, None
        if checkpoint is not None:
            checkpoint.close()

    def _record_outcomes(self, result: BatchResult) -> None:
        now = utc_now()
        metrics.ARTICLES.labels("enriched").inc(len(result.enriched))
        metrics.LANGUAGE_ONLY.inc(sum(not is_english(a.language) for a in result.enriched))
        for article in result.enriched:
            metrics.END_TO_END_LATENCY.observe(max(0.0, (now - article.fetched_at).total_seconds()))
        for letter in result.dead_letters:
            metrics.ARTICLES.labels("dead_lettered").inc()
            metrics.DEAD_LETTERS.labels(letter.reason).inc()
            log.warning(
                "dead-lettered",
                extra={
                    "partition": letter.record.partition,
                    "offset": letter.record.offset,
                    "reason": letter.reason,
                    "error": str(letter.error),
                },
            )

    def _check_pace(self, seconds: float, records: int) -> None:
        """Warns when tagging nears max.poll.interval.ms, past which the group moves on."""
        limit = self._settings.max_poll_interval_ms / 1000
        if seconds > limit / 2:
            log.warning(
                "batch tagging is slow: lower batch_size or raise article_seconds_max",
                extra={"seconds": round(seconds, 1), "records": records, "limit_seconds": limit},
            )

    def _probe(self, consumer: KafkaConsumer, force: bool) -> None:
        """Reads the raw topic's end offsets: the lag metric, and whether Kafka answers at all."""
        now = time.monotonic()
        if not force and now < self._next_probe:
            return
        ready = self._readiness.reason is None
        interval = self._settings.lag_interval if ready else PROBE_INTERVAL_NOT_READY
        self._next_probe = now + interval
        assigned = sorted(consumer.assignment())
        probed = assigned or [TopicPartition(self._settings.topics.raw, 0)]
        try:
            ends = consumer.end_offsets(probed, timeout_ms=PROBE_TIMEOUT_MS)
            positions = {p: consumer.position(p, timeout_ms=PROBE_TIMEOUT_MS) for p in assigned}
        except KafkaError as exc:
            # Not 0: on a slow start, `--until-idle` would take the raw topic for drained.
            self._lag = None
            self._not_ready("cannot reach Kafka", exc)
            return
        lags = {p.partition: max(0, ends[p] - (positions[p] or 0)) for p in assigned}
        metrics.set_consumer_lag(lags)
        self._lag = sum(lags.values())
        self._ready()

    def _drained(self, consumer: KafkaConsumer) -> bool:
        if consumer.assignment():
            return self._lag == 0
        # A member given no partition (more members than partitions) has nothing to drain; one
        # still joining has not been told its share yet, though it may know its generation.
        return self._membership.settled

    def _ready(self) -> None:
        self._unready = None
        self._readiness.ready()
        if self._stop.is_set():  # a stop requested meanwhile wins
            self._readiness.not_ready("stopping")

    def _not_ready(self, what: str, exc: BaseException) -> None:
        """Not ready, and why; said when it starts or changes, then once a minute while it lasts
        (the probe that finds it runs every second)."""
        before, now = self._readiness.reason, time.monotonic()
        self._readiness.not_ready(f"{what}: {exc}")
        self._unready = (self._unready[0] if self._unready else now, exc)
        repeated = before is not None and before.startswith(what)
        if not repeated or now - self._said_not_ready_at >= NOT_READY_REPEAT_S:
            self._said_not_ready_at = now
            log.warning(what, extra={"error": repr(exc)})

    def _give_up_if_unready(self) -> None:
        """A one-shot run (`--until-idle`) must end: it gives up once Kafka has not answered for
        `NEWSWIRE_ONCE_KAFKA_WAIT`; the service waits as long as it takes."""
        unready, wait = self._unready, self._kafka_wait
        if unready is None or wait is None:
            return
        since, error = unready
        if time.monotonic() - since > wait:
            at = self._settings.kafka.bootstrap_servers
            raise KafkaUnavailableError(f"cannot reach Kafka at {at} for {wait:g} s: {error!r}")

    def _back_off(self) -> None:
        """Waits longer after each consecutive failure, up to `BACKOFF_MAX`, or until stopped."""
        delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2**self._failures)
        self._failures += 1
        self._stop.wait(delay * random.uniform(0.5, 1.0))

    def _follow_stop(self) -> None:
        """Reports not ready the moment a stop is requested, even in the middle of a batch."""

        def follow() -> None:
            self._stop.wait()
            self._readiness.not_ready("stopping")

        threading.Thread(target=follow, name="enrich-stop", daemon=True).start()


class _Membership(ConsumerRebalanceListener):  # type: ignore[misc]  # kafka-python has no types
    """Whether the group has told this member its share since the last rebalance began (called
    on the consumer's I/O thread; it only notes)."""

    def __init__(self) -> None:
        self.settled = False

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.settled = False

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.settled = True


def _offsets_after(records: list[Polled]) -> Offsets:
    """The offset to resume from per partition: one past the last record of the batch."""
    return {
        TopicPartition(record.topic, record.partition): OffsetAndMetadata(record.offset + 1, "")
        for record in records  # in offset order per partition, so the last one wins
    }


def _rewind(consumer: KafkaConsumer, records: list[Polled], timeout_ms: int) -> None:
    """Seeks each partition of the batch that is still assigned back to its committed offset.

    The committed offset, not the batch's first one, as a commit that timed out may have gone
    through; a read_committed consumer gets it only once no transaction is pending on it. A
    partition that a rebalance gave away is left to its new owner.
    """
    first: dict[TopicPartition, int] = {}
    for record in records:
        first.setdefault(TopicPartition(record.topic, record.partition), record.offset)
    assigned = consumer.assignment()
    for partition, offset in first.items():
        if partition not in assigned:
            continue
        try:
            committed = consumer.committed(partition, timeout_ms=timeout_ms)
        except KafkaError as exc:
            raise KafkaUnavailableError(
                f"cannot read the committed offset of {partition}: {exc!r}"
            ) from exc
        consumer.seek(partition, offset if committed is None else committed)


def _close_consumer(consumer: KafkaConsumer, timeout: float) -> None:
    try:
        consumer.close(timeout_ms=int(timeout * 1000))
    except KafkaError as exc:
        log.warning("consumer not closed cleanly", extra={"error": repr(exc)})

"""The enrich service's one loop: poll raw records, tag them, produce enriched ones, commit.

Each batch's output and consumed offsets are committed through a `Checkpoint` (one transaction
by default). If that fails, the batch is aborted, the consumer seeks back to the batch's first
offsets, and the batch is processed again after a back-off; nothing is committed on that path.
"""

import logging
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from newswire.errors import DecodeError, EnrichmentError, NewswireError
from newswire.kafka.clients import make_consumer, make_producer
from newswire.kafka.serde import article_key, decode_article, header
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.lifecycle import retry_until_stopped
from newswire.observability.endpoints import EndpointServer, Readiness
from schemas import EnrichedArticle, RawArticle, utc_now
from services.enrich import metrics
from services.enrich.checkpoint import (
    AtLeastOnceCheckpoint,
    Checkpoint,
    Offsets,
    TransactionalCheckpoint,
)
from services.enrich.dead_letter import DeadLetter
from services.enrich.settings import EnrichSettings
from services.enrich.tag import Tagger

log = logging.getLogger(__name__)


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


def enrich_batch(records: list[ConsumerRecord], tagger: Tagger, max_bytes: int) -> BatchResult:
    """Tags the decodable records of a batch; everything else becomes a dead letter."""
    result = BatchResult()
    decoded: list[tuple[ConsumerRecord, RawArticle]] = []
    for record in records:
        try:
            decoded.append((record, decode(record, max_bytes)))
        except DecodeError as undecodable:
            result.dead_letters.append(DeadLetter(record, "decode", undecodable))
    if not decoded:
        return result
    started = time.perf_counter()
    try:
        result.enriched = tagger.tag([article for _, article in decoded])
    except Exception:
        log.exception("batch tagging failed; tagging its articles one by one")
        for record, article in decoded:
            try:
                result.enriched.extend(tagger.tag([article]))
            except Exception as exc:
                error = EnrichmentError(f"{type(exc).__name__}: {exc}")
                result.dead_letters.append(DeadLetter(record, "enrich", error))
    metrics.BATCH_DURATION.observe(time.perf_counter() - started)
    metrics.BATCH_SIZE.observe(len(decoded))
    return result


class EnrichService:
    def __init__(self, settings: EnrichSettings, tagger: Tagger, stop: threading.Event) -> None:
        self._settings = settings
        self._tagger = tagger
        self._stop = stop
        self._readiness = Readiness()
        self._next_lag_reading = 0.0
        self._lag = 0

    def run(self, until_idle: float | None = None) -> int:
        """Processes the raw topic until stopped, or until drained and idle for `until_idle` s."""
        settings = self._settings
        with ExitStack() as stack:
            stack.enter_context(
                EndpointServer(settings.metrics_host, settings.metrics_port, self._readiness)
            )
            topics = settings.topics
            specs = [TopicSpec(topics.raw), TopicSpec(topics.enriched), TopicSpec(topics.dlq)]
            retry_until_stopped(
                self._stop, "create topics", lambda: ensure_topics(settings.kafka, topics, specs)
            )
            consumer = retry_until_stopped(self._stop, "connect consumer", self._make_consumer)
            stack.callback(consumer.close)
            producer = retry_until_stopped(self._stop, "connect producer", self._make_producer)
            stack.callback(producer.close, timeout=5)
            checkpoint = retry_until_stopped(
                self._stop, "start checkpoints", lambda: self._make_checkpoint(producer, consumer)
            )
            stack.callback(checkpoint.abort)  # runs first: an open transaction is never left
            self._readiness.ready()
            self._loop(consumer, producer, checkpoint, until_idle)
        return 0

    def _make_consumer(self) -> KafkaConsumer:
        settings = self._settings
        consumer = make_consumer(
            settings.kafka,
            "newswire-enrich",
            settings.group_id,
            max_poll_records=settings.batch_size,
            fetch_max_bytes=max(52_428_800, settings.max_record_bytes * 4),
        )
        consumer.subscribe([settings.topics.raw])
        return consumer

    def _make_producer(self) -> KafkaProducer:
        settings = self._settings
        transactional_id = (
            f"{settings.group_id}-{uuid.uuid4().hex}"
            if settings.delivery == "exactly_once"
            else None
        )
        return make_producer(settings.kafka, "newswire-enrich", transactional_id)

    def _make_checkpoint(self, producer: KafkaProducer, consumer: KafkaConsumer) -> Checkpoint:
        if self._settings.delivery == "exactly_once":
            return TransactionalCheckpoint(producer, consumer)
        return AtLeastOnceCheckpoint(producer, consumer, timeout=30)

    def _loop(
        self,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        checkpoint: Checkpoint,
        until_idle: float | None,
    ) -> None:
        last_work = time.monotonic()
        while not self._stop.is_set():
            polled = consumer.poll(timeout_ms=500, max_records=self._settings.batch_size)
            records = [record for batch in polled.values() for record in batch]
            if records:
                self._process(consumer, producer, checkpoint, records)
                last_work = time.monotonic()
            self._read_lag(consumer, force=until_idle is not None and not records)
            idle = time.monotonic() - last_work
            if until_idle is not None and self._drained(consumer) and idle >= until_idle:
                log.info("raw topic drained; stopping", extra={"idle_seconds": round(idle, 1)})
                return

    def _process(
        self,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        checkpoint: Checkpoint,
        records: list[ConsumerRecord],
    ) -> None:
        result = enrich_batch(records, self._tagger, self._settings.max_record_bytes)
        try:
            checkpoint.begin()
            sent = self._send(producer, result)
            checkpoint.commit(_offsets_after(records), sent)
        except (NewswireError, KafkaError) as exc:
            checkpoint.abort()
            self._readiness.not_ready(str(exc))
            log.error("batch not committed; it will be processed again", exc_info=exc)
            _rewind(consumer, records)
            self._stop.wait(1.0)
            return
        self._readiness.ready()
        self._record_outcomes(result)

    def _send(self, producer: KafkaProducer, result: BatchResult) -> list[Any]:
        topics = self._settings.topics
        sent = [
            producer.send(topics.enriched, key=article_key(article), value=article)
            for article in result.enriched
        ]
        sent += [
            producer.send(
                topics.dlq,
                key=letter.record.key,
                value=letter.record.value or b"",
                headers=letter.headers(),
            )
            for letter in result.dead_letters
        ]
        return sent

    def _record_outcomes(self, result: BatchResult) -> None:
        now = utc_now()
        metrics.ARTICLES.labels("enriched").inc(len(result.enriched))
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

    def _read_lag(self, consumer: KafkaConsumer, force: bool) -> None:
        now = time.monotonic()
        if not force and now < self._next_lag_reading:
            return
        self._next_lag_reading = now + self._settings.lag_interval
        assigned = list(consumer.assignment())
        if not assigned:
            return
        try:
            ends = consumer.end_offsets(assigned)
        except KafkaError as exc:
            log.warning("cannot read lag", extra={"error": repr(exc)})
            return
        total = 0
        for partition in assigned:
            lag = max(0, ends[partition] - consumer.position(partition))
            metrics.CONSUMER_LAG.labels(str(partition.partition)).set(lag)
            total += lag
        self._lag = total

    def _drained(self, consumer: KafkaConsumer) -> bool:
        return bool(consumer.assignment()) and self._lag == 0


def _offsets_after(records: list[ConsumerRecord]) -> Offsets:
    """The offset to resume from per partition: one past the last record of the batch."""
    return {
        TopicPartition(record.topic, record.partition): OffsetAndMetadata(record.offset + 1, "")
        for record in records  # in offset order per partition, so the last one wins
    }


def _rewind(consumer: KafkaConsumer, records: list[ConsumerRecord]) -> None:
    """Seeks each partition of the batch back to its first record, to process it again."""
    first: dict[TopicPartition, int] = {}
    for record in records:
        first.setdefault(TopicPartition(record.topic, record.partition), record.offset)
    for partition, offset in first.items():
        consumer.seek(partition, offset)

"""`newswire replay`: enrich a stretch of the raw topic again, beside the live enrich service.

The stretch is fixed when the replay starts: per partition, from the first record whose timestamp
is at or after `start` (or the oldest record) up to the first at or after `end` (or the end of
the partition as it is then); records published later are the live service's.

Each run reads with a consumer group of its own, `<NEWSWIRE_GROUP_ID>-replay-<run>`: the live
group is never rebalanced and its committed offsets never move. The run commits its starting
offsets to its group before joining it, so it starts exactly where the plan says, and a batch that
fails is read again from the offsets this run committed last (as the live loop does).

Each batch is enriched by the live path's `enrich_batch` and committed through a transactional
checkpoint: its enriched records, its dead letters and the replay group's offsets in one
transaction, so a read_committed consumer sees every article of the stretch enriched again
exactly once, even when a batch has to be retried. Records it cannot enrich are dead-lettered
again, as the live service would.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO, TypeVar

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from newswire.errors import ConfigError, KafkaUnavailableError, NewswireError
from newswire.kafka.clients import make_consumer
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.kafka.unreadable import Polled, poll_records
from newswire.lifecycle import retry_until_stopped
from services.enrich.checkpoint import Checkpoint, open_checkpoint
from services.enrich.consume import _offsets_after, _rewind, enrich_batch
from services.enrich.output import send_batch
from services.enrich.settings import EnrichSettings
from services.enrich.tag import Tagger

log = logging.getLogger(__name__)
CLIENT_ID = "newswire-replay"
RETRY_DELAY = 1.0  # seconds before a poll or a batch that failed is tried again
_T = TypeVar("_T")


@dataclass(frozen=True)
class Window:
    """Which raw records to replay, by record timestamp: from `start` up to, not including, `end`.

    None leaves that side open: the oldest record, or the end of the topic when the replay starts.
    """

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Span:
    """Offsets `start` (included) to `stop` (excluded) of one partition."""

    start: int
    stop: int


@dataclass
class Progress:
    """How far a replay has come, by offsets read per partition."""

    spans: dict[TopicPartition, Span]
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    enriched: int = 0
    dead_lettered: int = 0
    started: float = field(default_factory=time.monotonic)

    def position(self, partition: TopicPartition) -> int:
        return self.positions.get(partition, self.spans[partition].start)

    def is_done(self, partition: TopicPartition) -> bool:
        return self.position(partition) >= self.spans[partition].stop

    @property
    def total(self) -> int:
        return sum(span.stop - span.start for span in self.spans.values())

    @property
    def done(self) -> int:
        return sum(
            min(self.position(tp), span.stop) - span.start for tp, span in self.spans.items()
        )

    @property
    def finished(self) -> bool:
        return all(self.is_done(partition) for partition in self.spans)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self) -> str:
        # Offsets, not records: a transactional topic's commit markers take offsets too.
        share = f" ({100 * self.done // self.total}%)" if self.total else ""
        rate = self.done / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"{self.done}/{self.total} offsets{share}: {self.enriched} enriched, "
            f"{self.dead_lettered} dead-lettered, {rate:.1f} offsets/s"
        )


class ProgressPrinter:
    """A `report` callback that prints a progress line at most every `interval` seconds."""

    def __init__(self, stream: TextIO, interval: float = 1.0) -> None:
        self._stream = stream
        self._interval = interval
        self._next = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now >= self._next or progress.finished:
            self._next = now + self._interval
            print(f"replay: {progress.line()}", file=self._stream, flush=True)


def plan(consumer: KafkaConsumer, topic: str, window: Window) -> dict[TopicPartition, Span]:
    """The offsets to replay of every partition of `topic`, fixed now (some spans are empty)."""
    numbers = consumer.partitions_for_topic(topic)
    if not numbers:
        raise ConfigError(f"topic {topic!r} does not exist")
    partitions = [TopicPartition(topic, number) for number in sorted(numbers)]
    ends = consumer.end_offsets(partitions)
    starts = (
        consumer.beginning_offsets(partitions)
        if window.start is None
        else _offsets_at(consumer, partitions, window.start, ends)
    )
    stops = ends if window.end is None else _offsets_at(consumer, partitions, window.end, ends)
    return {tp: Span(starts[tp], max(starts[tp], min(stops[tp], ends[tp]))) for tp in partitions}


def _offsets_at(
    consumer: KafkaConsumer,
    partitions: list[TopicPartition],
    moment: datetime,
    ends: dict[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """Per partition, the first offset whose timestamp is at or after `moment`, else its end."""
    # Kafka's record times start at 1970 (and kafka-python refuses earlier ones): a moment before
    # that is before every record.
    millis = max(0, int(moment.timestamp() * 1000))
    found = consumer.offsets_for_times({tp: millis for tp in partitions})
    return {tp: ends[tp] if found.get(tp) is None else found[tp].offset for tp in partitions}


class Replay:
    """One replay of `window` of the raw topic, run once with `run()`."""

    def __init__(
        self,
        settings: EnrichSettings,
        tagger: Tagger,
        window: Window,
        stop: threading.Event,
        report: Callable[[Progress], None] = lambda progress: None,
    ) -> None:
        self._settings = settings
        self._tagger = tagger
        self._window = window
        self._stop = stop
        self._report = report
        self.group_id = f"{settings.group_id}-replay-{uuid.uuid4().hex[:12]}"
        self._checkpoint: Checkpoint | None = None
        self._kafka_wait = settings.kafka_wait(one_shot=True)  # a replay is a job: it must end

    def run(self) -> Progress:
        """Replays the window, or as much of it as it could before `stop`; says how far it got."""
        kafka, topics = self._settings.kafka, self._settings.topics
        # As the live service would make them: a topic Kafka creates when first written to has
        # the broker's default partitions, and the service would then keep it so.
        limit = self._settings.max_record_bytes
        outputs = [
            TopicSpec(topics.enriched, max_record_bytes=limit),
            TopicSpec(topics.dlq, max_record_bytes=limit),
        ]
        self._retry("create topics", lambda: ensure_topics(kafka, topics, outputs))
        with ExitStack() as stack:
            consumer = self._retry("connect consumer", self._make_consumer)
            stack.callback(consumer.close)
            progress = Progress(self._retry("plan", lambda: self._plan(consumer)))
            consumer.subscribe([topics.raw])  # the group's only member: it gets every partition
            stack.callback(self._close_checkpoint)  # runs first: no transaction is left open
            self._open_checkpoint(consumer)
            self._report(progress)
            self._loop(consumer, progress)
        return progress

    def _make_consumer(self) -> KafkaConsumer:
        settings = self._settings
        return make_consumer(
            settings.kafka,
            CLIENT_ID,
            self.group_id,
            max_poll_records=settings.batch_size,
            max_poll_interval_ms=settings.max_poll_interval_ms,
            fetch_max_bytes=max(52_428_800, settings.max_record_bytes * 4),
        )

    def _plan(self, consumer: KafkaConsumer) -> dict[TopicPartition, Span]:
        """Fixes the spans, and commits their starts as where this run's group begins."""
        try:
            spans = plan(consumer, self._settings.topics.raw, self._window)
            consumer.commit({tp: OffsetAndMetadata(span.start, "") for tp, span in spans.items()})
        except KafkaError as exc:
            raise KafkaUnavailableError(f"cannot plan the replay: {exc!r}") from exc
        return spans

    def _open_checkpoint(self, consumer: KafkaConsumer) -> Checkpoint:
        # The same transactional id every time: a new checkpoint fences the one that failed.
        self._checkpoint = self._retry(
            "open a checkpoint", lambda: open_checkpoint(self._settings, consumer, self.group_id)
        )
        return self._checkpoint

    def _retry(self, what: str, action: Callable[[], _T]) -> _T:
        return retry_until_stopped(self._stop, what, action, self._kafka_wait)

    def _close_checkpoint(self) -> None:
        checkpoint, self._checkpoint = self._checkpoint, None
        if checkpoint is not None:
            checkpoint.close()

    def _loop(self, consumer: KafkaConsumer, progress: Progress) -> None:
        spans = progress.spans
        while not progress.finished and not self._stop.is_set():
            try:
                polled = poll_records(consumer, 500, self._settings.batch_size)
            except KafkaError as exc:
                log.warning("poll failed; polling again", extra={"error": repr(exc)})
                self._stop.wait(RETRY_DELAY)
                continue
            batch = [
                record
                for record in polled
                if (span := spans.get(TopicPartition(record.topic, record.partition)))
                and record.offset < span.stop
            ]
            if batch:
                self._process(consumer, batch, progress)
            for partition in consumer.assignment():
                # Positions, not record offsets: the last offsets may be transaction markers.
                if partition in spans:
                    progress.positions[partition] = consumer.position(partition)
                if partition not in spans or progress.is_done(partition):
                    consumer.pause(partition)  # what follows is the live service's
            self._report(progress)

    def _process(self, consumer: KafkaConsumer, batch: list[Polled], progress: Progress) -> None:
        result = enrich_batch(batch, self._tagger, self._settings.max_record_bytes)
        checkpoint = self._checkpoint or self._open_checkpoint(consumer)
        try:
            checkpoint.begin()
            sent = send_batch(
                checkpoint.producer,
                self._settings.topics,
                result.enriched,
                result.dead_letters,
                self._settings.max_record_bytes,
            )
            checkpoint.commit(_offsets_after(batch), sent)
        except (NewswireError, KafkaError) as exc:
            log.error("replay batch not committed; it will be replayed", exc_info=exc)
            self._recover(consumer, batch)
            return
        progress.enriched += len(result.enriched)
        progress.dead_lettered += len(result.dead_letters)

    def _recover(self, consumer: KafkaConsumer, batch: list[Polled]) -> None:
        """A new checkpoint, then the batch read again from the offsets committed last."""
        self._close_checkpoint()
        if self._stop.wait(RETRY_DELAY):
            return
        self._open_checkpoint(consumer)
        # From the committed offsets, not the batch's first: a commit that timed out may
        # still have gone through.
        timeout_ms = int(self._settings.commit_timeout * 1000)
        self._retry("rewind to the committed offsets", lambda: _rewind(consumer, batch, timeout_ms))

"""Records kafka-python cannot read, and how a reader gets past one.

kafka-python 3.0.12 raises `CorruptRecordError` for a record it cannot parse, such as one with a
header name that is not UTF-8 (which other clients write without complaint), and then keeps the
broken batch: every later `poll()` spins on it at full CPU and never returns, and a stop request
is never seen. Seeking past the record makes the fetcher drop that batch. It reads a batch from
its start, so the records after a broken one in its batch cannot be read either: each is skipped
in turn, one per poll, and each is reported where it is. The error does not say where the record
is; the fetcher's own note of the batch it holds does. That is kafka-python's private state, read
here only: the version is pinned, and tests read such a record.
"""

import logging
from dataclasses import asdict, dataclass
from typing import TypeAlias

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CorruptRecordError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UnreadableRecord:
    """Where a record that could not be read is, and why it could not."""

    topic: str
    partition: int
    offset: int
    error: str

    def as_record(self) -> ConsumerRecord:
        """A record at its place with nothing read: no key, headers or time, an empty value (a
        record needs a key or a value)."""
        return ConsumerRecord(
            self.topic, self.partition, None, self.offset, -1, 0, None, b"", [], None, -1, -1, -1
        )


def skip_unreadable(consumer: KafkaConsumer, error: CorruptRecordError) -> UnreadableRecord:
    """Moves `consumer` past the record `poll()` failed on with `error`, and says where it was.

    Re-raises `error` when the fetcher holds no batch, which is not the failure handled here."""
    held = consumer._fetcher._next_partition_records  # private: see the module's note
    if not held:
        raise error
    where: TopicPartition = held.topic_partition
    # The offset it was asked to read from, or past the records it gave: the records of the
    # batch before that offset are parsed again, and skipped, on every fetch.
    offset: int = max(held.fetch_offset, held.next_fetch_offset)
    consumer.seek(where, offset + 1)
    skipped = UnreadableRecord(where.topic, where.partition, offset, str(error))
    log.warning("skipped a record that cannot be read", extra=asdict(skipped))
    return skipped


Polled: TypeAlias = ConsumerRecord | UnreadableRecord


def poll_records(
    consumer: KafkaConsumer, timeout_ms: int, max_records: int | None = None
) -> list[Polled]:
    """The records of one `consumer.poll()`, partition after partition; a record that cannot be
    read is skipped, and stands where it was as an `UnreadableRecord` (the poll's only one)."""
    try:
        polled = consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
    except CorruptRecordError as error:
        return [skip_unreadable(consumer, error)]
    return [record for batch in polled.values() for record in batch]


def readable_records(
    consumer: KafkaConsumer, timeout_ms: int, max_records: int | None = None
) -> list[ConsumerRecord]:
    """`poll_records` for a reader that only reads: a record that cannot be read is skipped
    (and logged)."""
    polled = poll_records(consumer, timeout_ms, max_records)
    return [record for record in polled if not isinstance(record, UnreadableRecord)]

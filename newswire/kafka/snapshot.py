"""Reading partitions of a compacted topic up to their current end: what the topic holds now.

With `read_committed`, the end is the last stable offset, so no transaction still open can hide
a record behind it, and records of aborted transactions are never returned.
"""

import time
from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from newswire.errors import KafkaUnavailableError
from newswire.kafka.clients import make_consumer, partitions_of
from newswire.kafka.unreadable import readable_records
from newswire.settings import KafkaSettings


def read_to_end(
    consumer: KafkaConsumer,
    partitions: list[TopicPartition],
    timeout: float,
    ends: dict[TopicPartition, int] | None = None,
) -> Iterator[ConsumerRecord]:
    """Every record of `partitions` from their start to their end as it is when called.

    `consumer` has no group; it is assigned `partitions`. `ends` are the offsets to read up to
    instead of the consumer's `end_offsets`: given high watermarks, a `read_committed` consumer
    also waits until every transaction open on the partitions has been committed or aborted.
    Raises `KafkaUnavailableError` when Kafka fails or `timeout` seconds pass without progress.
    """
    timeout_ms = int(timeout * 1000)
    try:
        consumer.assign(partitions)
        if not partitions:
            return
        if ends is None:
            ends = consumer.end_offsets(partitions, timeout_ms=timeout_ms)
        consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        while any(consumer.position(p, timeout_ms=timeout_ms) < end for p, end in ends.items()):
            if time.monotonic() > deadline:
                raise KafkaUnavailableError(f"{partitions[0].topic} not read within {timeout}s")
            polled = readable_records(consumer, timeout_ms=200)
            yield from polled
            if polled:
                deadline = time.monotonic() + timeout  # progress: keep going
    except KafkaError as exc:
        raise KafkaUnavailableError(f"cannot read {partitions[0].topic}: {exc!r}") from exc


def read_topic_to_end(kafka: KafkaSettings, topic: str, timeout: float) -> list[ConsumerRecord]:
    """Every record of every partition of `topic`, up to its end, with a consumer of its own."""
    consumer = make_consumer(kafka, "newswire-snapshot", group_id=None)
    try:
        return list(read_to_end(consumer, partitions_of(consumer, topic), timeout))
    finally:
        consumer.close()

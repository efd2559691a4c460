"""`newswire tail`: a downstream consumer that prints records as they arrive.

An article is one line (or its JSON); a record that holds none, such as a dead letter, is shown
as it is. `open_tail`, `records` and `Ends` are the group-less reading every reader here uses.
"""

import logging
import threading
import time
from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from newswire.errors import ConfigError
from newswire.filters import ArticleFilter
from newswire.kafka.clients import make_consumer
from newswire.kafka.unreadable import readable_records
from newswire.render import article_line, article_of, record_json, record_line
from newswire.settings import KafkaSettings

EVERYTHING = ArticleFilter()
TOPIC_WAIT_INTERVAL = 1.0  # seconds between looks for a topic that does not exist yet
PARTITION_LOOK_INTERVAL = 1.0  # seconds between looks at the metadata for partitions added
log = logging.getLogger(__name__)


def open_tail(
    kafka: KafkaSettings,
    topics: list[str],
    from_beginning: bool,
    wait_until: threading.Event | None = None,
) -> KafkaConsumer:
    """A group-less consumer over every partition of `topics`, at their start or their end.

    A topic that does not exist is a `ConfigError`, or with `wait_until`, waited for until it
    exists, then read from its start, or until the event is set (then the consumer reads
    nothing)."""
    consumer = make_consumer(kafka, "newswire-tail", group_id=None)
    assigned, created = [], []
    try:
        for topic in topics:
            existed = bool(consumer.partitions_for_topic(topic))
            partitions = topic_partitions(consumer, topic, wait_until)
            mine = [TopicPartition(topic, partition) for partition in partitions]
            assigned += mine
            if not existed:  # created since: everything in it is new
                created += mine
    except ConfigError:
        consumer.close()
        raise
    consumer.assign(assigned)
    # (kafka-python seeks every assigned partition when given none.)
    at_start = assigned if from_beginning else created
    at_end = [partition for partition in assigned if partition not in at_start]
    if at_start:
        consumer.seek_to_beginning(*at_start)
    if at_end:
        consumer.seek_to_end(*at_end)
        for partition in at_end:
            consumer.position(partition)  # resolve "end" now, not at the first poll
    return consumer


def topic_partitions(
    consumer: KafkaConsumer, topic: str, wait_until: threading.Event | None = None
) -> list[int]:
    """The partitions of `topic`. One that does not exist is a `ConfigError`, or with
    `wait_until`, waited for (a reader may start before the services that create its topic)
    until it exists, or until the event is set: then there are none."""
    waiting = False
    while not (partitions := consumer.partitions_for_topic(topic)):
        if wait_until is None:
            raise ConfigError(f"topic {topic!r} does not exist")
        if not waiting:
            log.warning("waiting for topic %r to be created", topic)
            waiting = True
        if wait_until.wait(TOPIC_WAIT_INTERVAL):
            return []
    return sorted(partitions)


def records(consumer: KafkaConsumer, stop: threading.Event) -> Iterator[ConsumerRecord | None]:
    """Records as they arrive, and None after each poll's records (or a poll that brought none),
    until `stop`. A consumer of `open_tail` also reads the partitions its topics gain meanwhile
    (seen within `KAFKA_METADATA_MAX_AGE_MS`); a group's consumer is given them by the group."""
    added = _AddedPartitions(consumer) if consumer.subscription() is None else None
    while not stop.is_set():
        yield from readable_records(consumer, timeout_ms=200)
        if added is not None:
            added.assign()
        yield None


class _AddedPartitions:
    """Partitions added to the assigned topics after they were assigned (an operator adds some to
    spread the load): without a group nobody hands them over, and their records would be missed.
    They are read from their start: everything they hold came after the reading began."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer
        self._next_look = time.monotonic() + PARTITION_LOOK_INTERVAL

    def assign(self) -> None:
        if time.monotonic() < self._next_look:
            return
        self._next_look = time.monotonic() + PARTITION_LOOK_INTERVAL
        assigned = self._consumer.assignment()
        topics = {partition.topic for partition in assigned}
        added = [
            TopicPartition(topic, number)
            for topic in sorted(topics)
            for number in sorted(self._consumer.partitions_for_topic(topic))
            if TopicPartition(topic, number) not in assigned
        ]
        if added:
            log.info("reading partitions added since the start: %s", _named(added))
            self._consumer.assign([*assigned, *added])
            self._consumer.seek_to_beginning(*added)


def _named(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{partition.topic}[{partition.partition}]" for partition in partitions)


class Ends:
    """Where "everything so far" ends: each assigned partition's end offset when first looked
    at, so that a reader stops there even while records keep arriving."""

    def __init__(self) -> None:
        self._offsets: dict[TopicPartition, int] = {}

    def reached(self, consumer: KafkaConsumer) -> bool:
        """Whether every assigned partition has been read to its end; asked between polls (the
        consumer's position is past every record the last poll returned)."""
        assigned = list(consumer.assignment())
        if new := [partition for partition in assigned if partition not in self._offsets]:
            self._offsets.update(consumer.end_offsets(new))
        return all(consumer.position(part) >= self._offsets[part] for part in assigned)


def tail(
    kafka: KafkaSettings,
    topic: str,
    from_beginning: bool,
    limit: int | None,
    as_json: bool,
    stop: threading.Event,
    match: ArticleFilter = EVERYTHING,
    follow: bool = True,
) -> int:
    """Prints the records of `topic` that `match` accepts; returns how many it printed. When
    following, a topic that does not exist yet is waited for."""
    consumer = open_tail(kafka, [topic], from_beginning, stop if follow else None)
    ends = Ends()
    shown = 0
    try:
        for record in records(consumer, stop):
            if record is None:
                if not follow and ends.reached(consumer):
                    break
                continue
            article = article_of(record.value, record.headers)
            if not match.accepts(article):
                continue
            if as_json:
                print(record_json(record.key, record.value, record.headers), flush=True)
            elif article is not None:
                print(article_line(article), flush=True)
            else:
                print(record_line(record.value, record.headers), flush=True)
            shown += 1
            if limit is not None and shown >= limit:
                break
    finally:
        consumer.close()
    return shown

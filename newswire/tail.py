"""`newswire tail`: a downstream consumer that prints records as they arrive."""

import threading
from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from newswire.errors import ConfigError
from newswire.kafka.clients import make_consumer
from newswire.render import record_json, record_line
from newswire.settings import KafkaSettings


def open_tail(kafka: KafkaSettings, topics: list[str], from_beginning: bool) -> KafkaConsumer:
    """A group-less consumer over every partition of `topics`, at their start or their end."""
    consumer = make_consumer(kafka, "newswire-tail", group_id=None)
    assigned = []
    for topic in topics:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            consumer.close()
            raise ConfigError(f"topic {topic!r} does not exist")
        assigned += [TopicPartition(topic, partition) for partition in sorted(partitions)]
    consumer.assign(assigned)
    if from_beginning:
        consumer.seek_to_beginning(*assigned)
    else:
        consumer.seek_to_end(*assigned)
        for partition in assigned:
            consumer.position(partition)  # resolve "end" now, not at the first poll
    return consumer


def records(consumer: KafkaConsumer, stop: threading.Event) -> Iterator[ConsumerRecord | None]:
    """Records as they arrive, and None after each poll that brought none, until `stop`."""
    while not stop.is_set():
        polled = consumer.poll(timeout_ms=200)
        if not polled:
            yield None
        for batch in polled.values():
            yield from batch


def caught_up(consumer: KafkaConsumer) -> bool:
    """Whether every assigned partition has been read to its end."""
    assigned = list(consumer.assignment())
    ends = consumer.end_offsets(assigned)
    return all(consumer.position(partition) >= ends[partition] for partition in assigned)


def tail(
    kafka: KafkaSettings,
    topic: str,
    from_beginning: bool,
    limit: int | None,
    as_json: bool,
    stop: threading.Event,
) -> int:
    def show(record: ConsumerRecord) -> None:
        if as_json:
            print(record_json(record.key, record.value, record.headers), flush=True)
        else:
            print(record_line(record.value, record.headers), flush=True)

    consumer = open_tail(kafka, [topic], from_beginning)
    seen = 0
    try:
        for record in records(consumer, stop):
            if record is not None:
                show(record)
                seen += 1
            if limit is not None and seen >= limit:
                break
    finally:
        consumer.close()
    return seen

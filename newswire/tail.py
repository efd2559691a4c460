"""`newswire tail`: a downstream consumer that prints records as they arrive.

An article is one line (or its JSON); a record that holds none, such as a dead letter, is shown
as it is. `open_tail`, `records` and `caught_up` are the group-less reading every reader here uses.
"""

import threading
from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from newswire.errors import ConfigError
from newswire.filters import ArticleFilter
from newswire.kafka.clients import make_consumer
from newswire.render import article_line, article_of, record_json, record_line
from newswire.settings import KafkaSettings

EVERYTHING = ArticleFilter()


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
    match: ArticleFilter = EVERYTHING,
    follow: bool = True,
) -> int:
    """Prints the records of `topic` that `match` accepts; returns how many it printed."""
    consumer = open_tail(kafka, [topic], from_beginning)
    shown = 0
    try:
        for record in records(consumer, stop):
            if record is None:
                if not follow and caught_up(consumer):
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

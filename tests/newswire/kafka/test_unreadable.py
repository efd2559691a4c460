"""A record kafka-python cannot read is skipped, with the rest of its batch, and later ones read."""

import logging
import threading
import time

import pytest
from kafka import KafkaProducer

from newswire.kafka.serde import Headers
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from newswire.tail import open_tail, records


class UndecodableName(str):
    """A header name whose bytes are not UTF-8, as librdkafka or the Java client write without
    complaint: kafka-python's producer takes a name's bytes from `encode()`."""

    __slots__ = ()

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return b"\xff\xfe-" + str.encode(self, encoding, errors)


Record = tuple[bytes, bytes, Headers]  # key, value, headers


def write_with_unreadable(
    kafka: KafkaSettings, topic: str, batch: list[Record], then: Record
) -> None:
    """`batch` on partition 0 in one batch, its second record with a header name that is not
    UTF-8, so that it cannot be read, nor can the records after it in the batch; then `then` in
    a batch of its own."""
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=100)
    for index, (key, value, headers) in enumerate(batch):
        if index == 1:
            headers = [*headers, (UndecodableName("origin"), b"x")]
        producer.send(topic, key=key, value=value, headers=headers, partition=0)
    producer.flush()
    key, value, headers = then
    producer.send(topic, key=key, value=value, headers=headers, partition=0)
    producer.flush()
    producer.close()


def test_a_record_that_cannot_be_read_is_skipped_and_the_rest_read(
    kafka_settings: KafkaSettings, topics: TopicSettings, caplog: pytest.LogCaptureFixture
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    batch: list[Record] = [(key, b"{}", []) for key in (b"before", b"bad", b"after")]
    write_with_unreadable(kafka_settings, topics.raw, batch, (b"next", b"{}", []))
    consumer = open_tail(kafka_settings, [topics.raw], from_beginning=True)
    stop, keys = threading.Event(), []
    deadline = time.monotonic() + 30
    with caplog.at_level(logging.WARNING, logger="newswire.kafka.unreadable"):
        for record in records(consumer, stop):
            if record is not None:
                keys.append(record.key)
            if b"next" in keys or time.monotonic() > deadline:
                break
    consumer.close()
    assert keys == [b"before", b"next"]
    skipped = [entry for entry in caplog.records if entry.name == "newswire.kafka.unreadable"]
    assert [(entry.topic, entry.partition, entry.offset) for entry in skipped] == [  # type: ignore[attr-defined]
        (topics.raw, 0, 1),
        (topics.raw, 0, 2),
    ]

"""Every client the services make gives up on a broker that does not answer within seconds, so
a service retrying to reach it still notices a stop request in time; a group consumer joins
knowing its topic's partitions; every codec the settings accept is written and read."""

import time
import uuid
from collections.abc import Callable
from typing import get_args

import pytest
from kafka import TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener

from newswire.errors import KafkaUnavailableError
from newswire.kafka.clients import BOOTSTRAP_TIMEOUT_MS, make_consumer, make_producer, subscribe
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import Compression, KafkaSettings, TopicSettings
from tests.conftest import free_port, read_topic

CLIENTS: dict[str, Callable[[KafkaSettings], object]] = {
    "producer": lambda kafka: make_producer(kafka, "test"),
    "consumer": lambda kafka: make_consumer(kafka, "test", group_id=None),
    "admin": lambda kafka: ensure_topics(kafka, TopicSettings(), [TopicSpec("test")]),
}


@pytest.mark.parametrize("client", CLIENTS)
def test_a_new_client_gives_up_on_an_unreachable_broker_within_the_bootstrap_timeout(
    client: str,
) -> None:
    nowhere = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(KafkaUnavailableError, match="cannot reach Kafka"):
        CLIENTS[client](nowhere)
    # kafka-python's own default is 30 s; a loaded machine may add a little to ours.
    assert time.monotonic() - started < BOOTSTRAP_TIMEOUT_MS / 1000 + 5


class _Assignments(ConsumerRebalanceListener):  # type: ignore[misc]  # kafka-python has no types
    def __init__(self) -> None:
        self.seen: list[set[TopicPartition]] = []

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.seen.append(assigned)


def test_a_subscribed_consumer_knows_the_partitions_before_it_joins_and_joins_once(
    kafka_settings: KafkaSettings,
) -> None:
    topic = f"subscribe-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, TopicSettings(partitions=3), [TopicSpec(topic)])
    consumer = make_consumer(kafka_settings, "test", group_id=f"test-{uuid.uuid4().hex[:8]}")
    assignments = _Assignments()
    try:
        subscribe(consumer, topic, assignments)
        # What the group leader compares its assignment with later: empty here, the group
        # would rebalance again as soon as metadata arrived (kafka-python's own state).
        assert consumer._coordinator._metadata_snapshot == {topic: {0, 1, 2}}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            consumer.poll(timeout_ms=200)
    finally:
        consumer.close()
    assert assignments.seen == [{TopicPartition(topic, number) for number in range(3)}]


def test_subscribing_to_a_topic_that_does_not_exist_says_so(kafka_settings: KafkaSettings) -> None:
    consumer = make_consumer(kafka_settings, "test", group_id="test-missing")
    try:
        with pytest.raises(KafkaUnavailableError, match="no partitions"):
            subscribe(consumer, f"missing-{uuid.uuid4().hex[:8]}")
    finally:
        consumer.close()


@pytest.mark.parametrize("codec", get_args(Compression))
def test_every_codec_the_settings_accept_is_written_and_read_back(
    kafka_settings: KafkaSettings, codec: Compression
) -> None:
    # kafka-python needs a library for each codec but gzip: without it a producer refuses the
    # setting, and a consumer fails on a batch another producer compressed with it.
    kafka = kafka_settings.model_copy(update={"compression_type": codec})
    topic = f"codec-{codec}-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka, TopicSettings(partitions=1), [TopicSpec(topic)])
    values = [f"record {number} ".encode() * 50 for number in range(20)]
    producer = make_producer(kafka, "test")
    try:
        for value in values:
            producer.send(topic, value)
        producer.flush()
    finally:
        producer.close()
    assert [record.value for record in read_topic(kafka, topic)] == values

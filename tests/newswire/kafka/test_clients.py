"""Every client the services make gives up on a broker that does not answer within seconds, so
a service retrying to reach it still notices a stop request in time."""

import time
from collections.abc import Callable

import pytest

from newswire.errors import KafkaUnavailableError
from newswire.kafka.clients import BOOTSTRAP_TIMEOUT_MS, make_consumer, make_producer
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from tests.conftest import free_port

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

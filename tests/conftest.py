"""Fixtures every test may use: the real broker, isolated topic names, child-process settings."""

import os
import random
import socket
import string
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from newswire.broker import EmbeddedBroker
from newswire.settings import KafkaSettings, TopicSettings
from newswire.tail import Ends, open_tail, records
from tests.broker_fixture import ExternalBroker, kafka_broker

__all__ = ["kafka_broker"]

REPO = Path(__file__).resolve().parent.parent
NEWSWIRE = REPO / ".venv" / "bin" / "newswire"


def free_port() -> int:
    """A port free on every address, for a server (a child, a broker) that listens on it later."""
    return free_ports(1)


def free_ports(count: int) -> int:
    """The first of `count` consecutive ports free on every address (`enrich --workers` serves
    on `metrics_port + i`). They are chosen below the kernel's ephemeral range: a port from that
    range, free now, may be an outgoing connection's local port by the time a server binds it
    (seen: a worker that could not listen on its port)."""
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        first = random.randrange(10_000, ephemeral_low - count)
        if all(_bindable(port) for port in range(first, first + count)):
            return first


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


@pytest.fixture
def kafka_settings(kafka_broker: EmbeddedBroker | ExternalBroker) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=kafka_broker.bootstrap_servers)


def incompressible_text(chars: int) -> str:
    """`chars` characters of words of random letters, which no codec shrinks to half: a record
    made of them stays too large for a small topic limit after the producer compresses it."""
    rng = random.Random(chars)
    words = ("".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(chars // 8 + 1))
    return " ".join(words)[:chars]


def read_topic(kafka: KafkaSettings, topic: str) -> list[ConsumerRecord]:
    """Every committed record of `topic`, from its start to its current end."""
    consumer = open_tail(kafka, [topic], from_beginning=True)
    ends = Ends()
    found: list[ConsumerRecord] = []
    try:
        for record in records(consumer, threading.Event()):
            if record is not None:
                found.append(record)
            elif ends.reached(consumer):
                return found
    finally:
        consumer.close()
    return found


@pytest.fixture
def topics() -> TopicSettings:
    """Topic names no other test uses, so tests on the shared broker never see each other."""
    suffix = uuid.uuid4().hex[:8]
    return TopicSettings(
        raw=f"raw-{suffix}",
        enriched=f"enriched-{suffix}",
        dlq=f"dlq-{suffix}",
        ingest_state=f"state-{suffix}",
        ingest_feeds=f"feeds-{suffix}",
        partitions=3,
    )


@pytest.fixture
def service_env(kafka_settings: KafkaSettings, topics: TopicSettings) -> Iterator[dict[str, str]]:
    """The environment a child `newswire` process needs to use this test's broker and topics."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEWSWIRE_", "KAFKA_"))
    }
    env.update(topics.environment())
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=kafka_settings.bootstrap_servers,
        NEWSWIRE_GROUP_ID=f"enrich-{uuid.uuid4().hex[:8]}",
        NEWSWIRE_METRICS_PORT="0",
        NEWSWIRE_LOG_FORMAT="json",
    )
    yield env

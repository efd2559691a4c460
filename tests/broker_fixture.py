"""The session's Kafka broker: the one `KAFKA_BOOTSTRAP_SERVERS` names, else an embedded one."""

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from newswire.broker import EmbeddedBroker

# The first start on a machine also formats storage; a loaded CI machine needs the margin.
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class ExternalBroker:
    """A broker run by someone else, e.g. docker compose."""

    bootstrap_servers: str


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[EmbeddedBroker | ExternalBroker]:
    """A running broker shared by the whole session; use `.bootstrap_servers`."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield ExternalBroker(external)
        return
    broker = EmbeddedBroker()
    broker.start(timeout=START_TIMEOUT)
    try:
        yield broker
    finally:
        broker.stop()

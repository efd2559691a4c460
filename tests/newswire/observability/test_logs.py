"""What an operator reads: kafka-python's errors while a transaction holds back a group's
committed offsets become one warning that says what is going on."""

import io
import json
import logging
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from kafka import OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaConnectionError
from kafka.net.selector import NetworkSelector
from kafka.net.transport import KafkaTCPTransport

from newswire.kafka.clients import make_consumer, make_producer
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.observability import logs
from newswire.observability.logs import configure_logging
from newswire.settings import KafkaSettings, TopicSettings


@contextmanager
def services_logging(fmt: str) -> Iterator[io.StringIO]:
    """What the services' logging writes, here instead of stderr; the test run's own after."""
    root, kafka = logging.getLogger(), logging.getLogger("kafka")
    filtered = [
        logging.getLogger(f"kafka.{name}") for name in ("coordinator.consumer", "net.transport")
    ]
    handlers, level, kafka_level = root.handlers[:], root.level, kafka.level
    filters = [logger.filters[:] for logger in filtered]
    configure_logging("INFO", fmt)
    written = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)
    try:
        yield written
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        kafka.setLevel(kafka_level)
        for logger, its_filters in zip(filtered, filters, strict=True):
            logger.filters[:] = its_filters


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    with services_logging("json") as written:
        yield written


def test_text_logs_show_the_fields_that_say_what_and_why() -> None:
    log = logging.getLogger("services.ingest.seeds")
    with services_logging("text") as written:
        fields = {"seed": "c.jsonl:2", "reason": "invalid_json", "detail": "line 1\x1b[2J"}
        log.warning("seed skipped", extra=fields | {"items": {"empty_item": 2}})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("feed poll failed", extra={"feed": "Example\x07News\x9b\u202e"})
    skipped, failed, *traceback = written.getvalue().splitlines()
    assert skipped.endswith(
        'seed skipped seed=c.jsonl:2 reason=invalid_json detail="line 1\\u001b[2J" '
        'items={"empty_item": 2}'
    )
    assert failed.endswith('feed poll failed feed="Example\\u0007News\\x9b\\u202e"')
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "ValueError: boom"


def test_offsets_held_back_by_an_open_transaction_are_one_warning_not_errors(
    kafka_settings: KafkaSettings, service_log: io.StringIO
) -> None:
    name = uuid.uuid4().hex[:8]
    topic, group = f"offsets-wait-{name}", f"test-{name}"
    ensure_topics(kafka_settings, TopicSettings(partitions=1), [TopicSpec(topic)])
    partition = TopicPartition(topic, 0)
    producer = make_producer(kafka_settings, "test", f"test-{name}")
    consumer = make_consumer(kafka_settings, "test", group_id=group)
    try:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(topic, key=b"key", value=b"value").get(timeout=10)
        producer.send_offsets_to_transaction({partition: OffsetAndMetadata(1, "", -1)}, group)
        consumer.assign([partition])
        # The group's committed offset is held back while the transaction is open.
        assert consumer.poll(timeout_ms=2000) == {}
        producer.commit_transaction()
        assert consumer.position(partition) == 1  # the offset the transaction committed
    finally:
        consumer.close()
        producer.close()
    lines = [json.loads(line) for line in service_log.getvalue().splitlines()]
    waits = [line for line in lines if "held back" in line["message"]]
    assert len(waits) == 1, lines
    assert waits[0]["level"] == "WARNING"
    assert waits[0]["logger"] == "kafka.coordinator.consumer"
    assert not [line for line in lines if line["level"] == "ERROR"], lines


def test_kafka_python_repeats_are_said_once_a_minute_with_how_many_were_held_back(
    service_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "KAFKA_REPEAT_S", 0.5)
    kafka_log, own_log = logging.getLogger("kafka.net.manager"), logging.getLogger("services.x")
    for attempt in range(50):  # as while the broker is down
        kafka_log.error("Connection failed: %s", f"ECONNREFUSED {attempt}")
        own_log.warning("feed poll failed")
    kafka_log.error("Metadata refresh: failed")  # another message is said at once
    time.sleep(0.6)
    kafka_log.error("Connection failed: %s", "ECONNREFUSED again")
    lines = [json.loads(line)["message"] for line in service_log.getvalue().splitlines()]
    assert [line for line in lines if line != "feed poll failed"] == [
        "Connection failed: ECONNREFUSED 0",
        "Metadata refresh: failed",
        "Connection failed: ECONNREFUSED again (49 more like it held back)",
    ]
    assert lines.count("feed poll failed") == 50  # the services' own lines are never held back


def test_a_read_from_a_connection_kafka_python_closed_itself_is_not_an_error(
    service_log: io.StringIO,
) -> None:
    # kafka-python 3.0.12's reader can wake after `close` dropped the socket, as when a client
    # closes: it then reads from None, the path taken here.
    net = NetworkSelector()
    ours, theirs = socket.socketpair()
    closed = KafkaTCPTransport(net, ours, host="closed")
    closed.close()
    _, error = closed._sock_recv()
    assert isinstance(error, KafkaConnectionError)
    # A connection that fails while open is still said, with its traceback.
    theirs.close()
    broken = KafkaTCPTransport(net, theirs, host="broken")
    _, error = broken._sock_recv()
    assert isinstance(error, KafkaConnectionError)
    lines = [json.loads(line) for line in service_log.getvalue().splitlines()]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert [line["message"] for line in errors] == [
        f"{broken}: Error receiving network data closing socket"
    ], lines
    assert "OSError" in errors[0]["exc_info"]

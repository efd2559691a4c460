"""Feed state records, and reading them back from the real broker, transactions included."""

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer

from newswire.errors import FencedError
from newswire.kafka.clients import make_producer
from newswire.kafka.topics import COMPACTED, TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from services.ingest.fetch import FeedValidators
from services.ingest.publish import Outgoing, Transactions
from services.ingest.state import FeedState, StateStore

URL = "https://example.test/feed"


def state(url: str = URL, streak: int = 0) -> FeedState:
    return FeedState(
        url=url,
        moved_to="https://example.test/moved",
        validators=FeedValidators(etag='"x"', last_modified="Sun, 01 Mar 2026 08:00:00 GMT"),
        next_poll_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        error_streak=streak,
        seen=bytes(range(32)),
        articles=b"\xff" * 24,
    )


def test_record_round_trips_through_json_with_packed_bytes_as_base64() -> None:
    record = state()
    text = record.model_dump_json()
    assert '"seen":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="' in text
    assert FeedState.model_validate_json(text) == record
    assert record.poll_url == "https://example.test/moved"
    assert FeedState(url=URL).healthy is None and state(streak=2).healthy is False


@pytest.fixture
def state_topic(kafka_settings: KafkaSettings, topics: TopicSettings) -> str:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.ingest_state, COMPACTED)])
    return topics.ingest_state


@pytest.fixture
def transactions(kafka_settings: KafkaSettings) -> Iterator[Transactions]:
    with Transactions(kafka_settings, f"test-{uuid.uuid4().hex}", 10, threading.Event()) as txn:
        txn.open()
        yield txn


def test_restore_gives_the_latest_committed_state_of_each_feed_and_skips_bad_records(
    kafka_settings: KafkaSettings, state_topic: str, transactions: Transactions
) -> None:
    other = "https://other.test/rss"
    transactions.write([Outgoing(state_topic, URL.encode(), state(streak=1))])
    transactions.write(
        [
            Outgoing(state_topic, URL.encode(), state(streak=2)),
            Outgoing(state_topic, other.encode(), state(other)),
        ]
    )
    producer = KafkaProducer(**kafka_settings.client_config())  # raw bytes, and a tombstone
    producer.send(state_topic, key=b"https://broken.test/", value=b"{not json")
    producer.send(state_topic, key=other.encode(), value=None)  # a tombstone deletes it
    producer.flush()
    producer.close()

    store = StateStore(kafka_settings, state_topic, timeout=10)
    try:
        every = range(store.partition_count)
        restored = store.restore(every)
        one_by_one = [store.restore([partition]) for partition in every]
        store.probe()
    finally:
        store.close()
    assert restored == {URL: state(streak=2)}
    # A replica given some partitions reads back the feeds of those partitions, and only them.
    assert sorted(len(part) for part in one_by_one) == [0] * (len(one_by_one) - 1) + [1]


def test_a_transaction_left_open_by_a_crash_is_aborted_before_the_state_is_read(
    kafka_settings: KafkaSettings, state_topic: str
) -> None:
    transactional_id = f"test-{uuid.uuid4().hex}"
    crashed = make_producer(kafka_settings, "crashed", transactional_id)
    crashed.init_transactions()
    crashed.begin_transaction()
    crashed.send(state_topic, key=URL.encode(), value=state(streak=9))
    crashed.flush()  # written, never committed: as if the process died here

    with Transactions(kafka_settings, transactional_id, 10, threading.Event()) as successor:
        successor.open()
        store = StateStore(kafka_settings, state_topic, timeout=10)
        try:
            assert store.restore(range(store.partition_count)) == {}
        finally:
            store.close()
        successor.write([Outgoing(state_topic, URL.encode(), state(streak=1))])
        # The crashed producer is fenced: it can never commit what it had begun.
        with pytest.raises(Exception):  # noqa: B017 - kafka-python's fenced error varies
            crashed.commit_transaction()
    crashed.close(timeout=1)


def test_a_restore_waits_for_a_transaction_the_previous_owner_left_open(
    kafka_settings: KafkaSettings, state_topic: str
) -> None:
    """A replica given a feed whose previous owner still has a transaction open (it was killed,
    or let go late) must not read the state from before it: the transaction may yet commit,
    and what it covers would be published twice."""
    previous = make_producer(kafka_settings, "previous-owner", f"test-{uuid.uuid4().hex}")
    previous.init_transactions()
    previous.begin_transaction()
    previous.send(state_topic, key=URL.encode(), value=state(streak=3))
    previous.flush()
    store = StateStore(kafka_settings, state_topic, timeout=10)
    restored: list[dict[str, FeedState]] = []
    reader = threading.Thread(
        target=lambda: restored.append(store.restore(range(store.partition_count)))
    )
    try:
        reader.start()
        reader.join(timeout=2)
        assert reader.is_alive(), f"read past an open transaction: {restored}"
        previous.commit_transaction()
        reader.join(timeout=10)
    finally:
        previous.close(timeout=1)
        reader.join(timeout=10)
        store.close()
    assert restored == [{URL: state(streak=3)}]


def test_a_second_process_with_the_same_id_fences_the_first(
    kafka_settings: KafkaSettings, state_topic: str
) -> None:
    transactional_id = f"test-{uuid.uuid4().hex}"
    stop = threading.Event()
    with (
        Transactions(kafka_settings, transactional_id, 10, stop) as first,
        Transactions(kafka_settings, transactional_id, 10, stop) as second,
    ):
        first.open()
        second.open()
        with pytest.raises(FencedError):
            first.write([Outgoing(state_topic, URL.encode(), state())])
        second.write([Outgoing(state_topic, URL.encode(), state())])

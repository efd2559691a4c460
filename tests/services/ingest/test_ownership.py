"""The feed group on the real broker: co-partitioned topics, and transactions fenced by the
generation of the assignment they were made for."""

import threading
import time
import uuid
from contextlib import ExitStack

import pytest

from newswire.errors import ConfigError, KafkaUnavailableError
from newswire.kafka.topics import COMPACTED, TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from services.ingest.ownership import Assigned, FeedOwnership, GroupConfig, check_co_partitioned
from services.ingest.publish import Outgoing, Transactions
from services.ingest.state import FeedState
from tests.conftest import read_topic


def test_a_feed_list_with_other_partitions_than_the_state_is_refused(
    kafka_settings: KafkaSettings, topics: TopicSettings
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.ingest_state, COMPACTED)])
    check_co_partitioned(kafka_settings, topics.ingest_state, topics.ingest_state)
    fewer = topics.model_copy(update={"partitions": topics.partitions - 1})
    ensure_topics(kafka_settings, fewer, [TopicSpec(topics.ingest_feeds, COMPACTED)])
    with pytest.raises(ConfigError, match="must have as many"):
        check_co_partitioned(kafka_settings, topics.ingest_feeds, topics.ingest_state)


def next_assignment(ownership: FeedOwnership, timeout: float = 30.0) -> Assigned:
    """The next `Assigned` event (a revocation meanwhile is left unanswered: the group stops
    waiting for it after the revoke timeout, as it does for a replica that is late)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in ownership.events():
            if isinstance(event, Assigned):
                return event
        time.sleep(0.1)
    raise AssertionError(f"no assignment within {timeout} s")


def test_a_transaction_for_a_generation_the_group_has_left_is_refused(
    kafka_settings: KafkaSettings, topics: TopicSettings
) -> None:
    """A replica whose partitions were taken while its polls ran (it let go too late) must not
    commit what they found: another replica may already poll those feeds."""
    ensure_topics(
        kafka_settings,
        topics,
        [TopicSpec(topics.ingest_feeds, COMPACTED), TopicSpec(topics.ingest_state, COMPACTED)],
    )
    group = GroupConfig(topics.ingest_feeds, f"test-{uuid.uuid4().hex}", 6.0, 1.0, 0.5)
    url = "https://example.test/feed"
    record = Outgoing(topics.ingest_state, url.encode(), FeedState(url=url))
    with ExitStack() as stack:
        late = FeedOwnership(kafka_settings, group)
        stack.callback(late.close)
        before = next_assignment(late)
        other = FeedOwnership(kafka_settings, group)
        stack.callback(other.close)
        next_assignment(other)
        after = next_assignment(late)
        assert after.group.generation_id > before.group.generation_id
        transactions = stack.enter_context(
            Transactions(kafka_settings, f"test-{uuid.uuid4().hex}", 10, threading.Event())
        )
        transactions.open()
        with pytest.raises(KafkaUnavailableError):
            transactions.write([record], fence=lambda: late.fence(before.group))
        transactions.open()
        transactions.write([record], fence=lambda: late.fence(after.group))
    assert len(read_topic(kafka_settings, topics.ingest_state)) == 1

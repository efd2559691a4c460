"""The feed list and the state topic must be co-partitioned, or ingest refuses to start."""

import pytest

from newswire.errors import ConfigError
from newswire.kafka.topics import COMPACTED, TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from services.ingest.ownership import check_co_partitioned


def test_a_feed_list_with_other_partitions_than_the_state_is_refused(
    kafka_settings: KafkaSettings, topics: TopicSettings
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.ingest_state, COMPACTED)])
    check_co_partitioned(kafka_settings, topics.ingest_state, topics.ingest_state)
    fewer = topics.model_copy(update={"partitions": topics.partitions - 1})
    ensure_topics(kafka_settings, fewer, [TopicSpec(topics.ingest_feeds, COMPACTED)])
    with pytest.raises(ConfigError, match="must have as many"):
        check_co_partitioned(kafka_settings, topics.ingest_feeds, topics.ingest_state)

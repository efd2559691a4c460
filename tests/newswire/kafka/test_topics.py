"""Topics the services create, and the record size their settings promise the topics take."""

import subprocess
import sys

import pytest

from newswire.errors import ConfigError
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings

SMALL = 100_000


def test_a_topic_that_takes_smaller_records_than_the_setting_is_a_config_error(
    kafka_settings: KafkaSettings, topics: TopicSettings
) -> None:
    small = {"max.message.bytes": str(SMALL)}

    def written(limit: int) -> list[TopicSpec]:
        return [
            TopicSpec(topics.enriched, max_record_bytes=limit),
            TopicSpec(topics.dlq, small, max_record_bytes=limit),
        ]

    ensure_topics(kafka_settings, topics, written(SMALL))
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.enriched, max_record_bytes=1024**2)])
    with pytest.raises(ConfigError, match=f"'{topics.dlq}' takes \\(max.message.bytes={SMALL}\\)"):
        ensure_topics(kafka_settings, topics, written(SMALL + 1))


def test_enrich_refuses_to_start_rather_than_retry_a_refused_batch_forever(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str]
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.dlq, {"max.message.bytes": "50000"})])
    env = {**service_env, "NEWSWIRE_MAX_RECORD_BYTES": str(SMALL)}
    enrich = subprocess.run(
        [sys.executable, "-m", "newswire", "enrich", "--until-idle", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert enrich.returncode == 2
    assert f"NEWSWIRE_MAX_RECORD_BYTES={SMALL} is more than topic '{topics.dlq}'" in enrich.stderr

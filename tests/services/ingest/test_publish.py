"""Records Kafka refuses for what they are are left out, counted and logged; the rest publish."""

import json
import subprocess
import sys
from pathlib import Path

from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from tests.conftest import incompressible_text, read_topic

TOPIC_LIMIT = 64 * 1024


def test_a_seed_too_large_for_the_topic_does_not_block_the_others(
    service_env: dict[str, str],
    kafka_settings: KafkaSettings,
    topics: TopicSettings,
    tmp_path: Path,
) -> None:
    ensure_topics(
        kafka_settings, topics, [TopicSpec(topics.raw, {"max.message.bytes": str(TOPIC_LIMIT)})]
    )
    (tmp_path / "a_small.txt").write_text("A small story\n\nIt fits.")
    (tmp_path / "b_huge.txt").write_text("A huge story\n\n" + incompressible_text(4 * TOPIC_LIMIT))
    (tmp_path / "c_small.txt").write_text("Another small story\n\nIt fits too.")
    ingest = subprocess.run(
        [sys.executable, "-m", "newswire", "ingest", "--once", "--seeds", str(tmp_path)],
        env=service_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr
    rejected = [
        json.loads(line) for line in ingest.stderr.splitlines() if "rejected by Kafka" in line
    ]
    assert [entry["title"] for entry in rejected] == ["A huge story"]
    published = read_topic(kafka_settings, topics.raw)
    titles = sorted(json.loads(record.value)["title"] for record in published)
    assert titles == ["A small story", "Another small story"]

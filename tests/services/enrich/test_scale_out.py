"""enrich scaled out, on the real broker: replicas of several worker processes each, one killed
whole (SIGKILL to every process of it) while articles arrive, another joining, the rest stopped.
Afterwards every article is enriched exactly once and every poison record dead-lettered once."""

import random
import time
from pathlib import Path

import pytest

from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from tests.conftest import read_topic
from tests.services.enrich.delivery import (
    Enrich,
    assert_exactly_once,
    poison,
    publish,
    read_settled,
    short_articles,
)
from tests.services.enrich.test_faults import EXIT_WITHIN, FAST_FAILOVER, feed
from tests.waiting import wait_for

PARTITIONS = 6  # more than the processes of one replica, fewer than of all three
# Worker i serves on the replica's port + i: port 0 lets each pick a free one instead.
REPLICA = ("--workers", "2", "--metrics-port", "0")


@pytest.mark.timeout(400)
def test_replicas_of_workers_killed_joining_and_leaving_enrich_every_article_once(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str],
    tmp_path: Path,
) -> None:  # fmt: skip
    topics = topics.model_copy(update={"partitions": PARTITIONS})
    env = {**service_env, **FAST_FAILOVER, "NEWSWIRE_TOPIC_PARTITIONS": str(PARTITIONS)}
    specs = [TopicSpec(topics.raw), TopicSpec(topics.enriched), TopicSpec(topics.dlq)]
    ensure_topics(kafka_settings, topics, specs)
    articles, bad = short_articles(1200), poison(10)
    # The last 200 are published at the kill: the stream alone can be enriched almost whole by
    # then, leaving the others nothing to go on with (seen once in make test).
    streamed, after_kill = articles[:1000] + bad, articles[1000:]
    random.shuffle(streamed)
    feeder = feed(kafka_settings, topics.raw, streamed, seconds=20)
    with (
        Enrich(env, tmp_path, "first", *REPLICA) as first,
        Enrich(env, tmp_path, "second", *REPLICA) as second,
    ):

        def progress() -> int:
            return len(read_topic(kafka_settings, topics.enriched))

        wait_for(lambda: progress() > 100, 180, "both replicas under way")
        time.sleep(random.uniform(0.0, 3.0))
        killed = second.kill()
        at_kill = progress()
        publish(kafka_settings, topics.raw, after_kill)
        with Enrich(env, tmp_path, "third", *REPLICA) as third:
            wait_for(lambda: progress() > at_kill + 100, 180, "the others to go on")
            feeder.join(timeout=120)
            stopped = [replica.terminate() for replica in (first, third)]
    assert all(code == 0 and took < EXIT_WITHIN for code, took in stopped), stopped
    final = Enrich(env, tmp_path, "final", *REPLICA, "--until-idle", "2")
    assert final.wait(timeout=240) == 0, final.log_tail()

    enriched = read_settled(kafka_settings, topics.enriched)
    assert_exactly_once(enriched, {record.key for record in articles})
    assert_exactly_once(read_settled(kafka_settings, topics.dlq), {record.key for record in bad})
    print(
        f"\n{len(articles)} articles over {PARTITIONS} partitions, replicas of 2 workers: "
        f"one killed whole ({killed} processes) after {at_kill} enriched, one joined, "
        f"the others stopped in {[round(took, 1) for _, took in stopped]} s"
    )

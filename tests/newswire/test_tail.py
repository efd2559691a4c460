"""`newswire tail` for people, on the real broker: one line per article, filters, following."""

import json
import select
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from kafka.admin import NewPartitions

from newswire.kafka.clients import make_admin, make_producer
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from schemas import EnrichedArticle, Enricher, Entity, EntityType, Source, SourceKind, Topic
from tests.newswire.test_cli import newswire

FOLLOW_TIMEOUT = 60.0


def article(title: str, entity: str, code: str, kind: SourceKind, language: str) -> EnrichedArticle:
    now = datetime.now(UTC)
    return EnrichedArticle(
        id=uuid.uuid4().hex,
        title=title,
        language=language,
        fetched_at=now,
        content_hash="0" * 64,
        source=Source(kind=kind, site="news.test"),
        entities=[Entity(name=entity, type=EntityType.PERSON, mentions=1, salience=0.9)],
        topics=[Topic(code=code, label="some topic", score=0.7)],
        enriched_at=now,
        enricher=Enricher(version="test", models={}),
    )


CLIMATE = article("Climate deal", "Angela Merkel", "medtop:06000000", SourceKind.RSS, "en")
FOOTBALL = article("Bayern gewinnt", "Thomas Müller", "medtop:15000000", SourceKind.ATOM, "de")
ELECTION = article("Election called", "Emmanuel Macron", "medtop:11000000", SourceKind.SEED, "fr")


def publish(
    kafka: KafkaSettings, topic: str, *articles: EnrichedArticle, partition: int | None = None
) -> None:
    producer = make_producer(kafka, "test-enrich")
    for one in articles:
        producer.send(topic, key=one.id.encode(), value=one, partition=partition)
    producer.flush()
    producer.close()


def filled(kafka: KafkaSettings, topics: TopicSettings) -> None:
    ensure_topics(kafka, topics, [TopicSpec(topics.enriched)])
    publish(kafka, topics.enriched, CLIMATE, FOOTBALL, ELECTION)
    poison = make_producer(kafka, "test-poison")  # right header, wrong value: still shown
    poison.send(
        topics.enriched,
        key=b"x",
        value=b"{broken",
        headers=[("schema", b"newswire.article.enriched/1")],
    )
    poison.flush()
    poison.close()


def tail(env: dict[str, str], *args: str) -> list[str]:
    result = newswire("tail", "--from-beginning", "--no-follow", *args, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_one_line_per_record_and_a_broken_one_does_not_stop_tail(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str]
) -> None:
    filled(kafka_settings, topics)
    lines = tail(service_env)
    assert len(lines) == 4
    climate = next(line for line in lines if "Climate deal" in line)
    assert (
        "[rss news.test en]" in climate and "Angela Merkel" in climate and "some topic" in climate
    )
    assert "{broken" in lines


def test_filters_pick_articles_and_json_prints_them_whole(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str]
) -> None:
    filled(kafka_settings, topics)
    (merkel,) = tail(service_env, "--entity", "merkel")
    assert "Climate deal" in merkel
    assert len(tail(service_env, "--about", "medtop:06000000", "--about", "15000000")) == 2
    assert len(tail(service_env, "--topic-code", "06000000", "--source", "atom")) == 0
    assert len(tail(service_env, "--source", "seed", "--source", "atom")) == 2
    (line,) = tail(service_env, "--language", "fr", "--json")
    assert EnrichedArticle.model_validate_json(line) == ELECTION
    whole = [json.loads(line) for line in tail(service_env, "--json")]
    assert sorted(one.get("id", "") for one in whole) == sorted(
        ["", CLIMATE.id, FOOTBALL.id, ELECTION.id]
    )
    (poison,) = [one for one in whole if "id" not in one]
    assert poison["key"] == "x" and poison["value"] == "{broken"
    assert len(tail(service_env, "--json", "--limit", "1")) == 1


def test_a_malformed_topic_code_or_language_is_refused(service_env: dict[str, str]) -> None:
    result = newswire("tail", "--about", "politics", env=service_env)
    assert result.returncode == 2
    assert "not an IPTC Media Topic code" in result.stderr
    result = newswire("tail", "--language", "english", env=service_env)
    assert result.returncode == 2
    assert "'english' is not an ISO 639-1 language code" in result.stderr


def test_entity_and_topic_filters_on_another_topic_say_what_they_can_match(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str]
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    result = newswire(
        "tail", "--topic", topics.raw, "--no-follow", "--entity", "merkel", env=service_env
    )
    assert result.returncode == 0, result.stderr
    assert "only enriched articles have entities and topics" in result.stderr
    filled(kafka_settings, topics)
    assert "note:" not in newswire("tail", "--no-follow", "--entity", "x", env=service_env).stderr


def test_tail_follows_new_articles_by_default(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str]
) -> None:
    filled(kafka_settings, topics)  # already there: not shown, tail starts at the end
    command = [sys.executable, "-m", "newswire", "tail", "--entity", "Merkel", "--limit", "2"]
    with subprocess.Popen(command, env=service_env, stdout=subprocess.PIPE, text=True) as child:
        deadline = time.monotonic() + FOLLOW_TIMEOUT
        # Published until tail has shown two: it may take a moment to reach the end first.
        while child.poll() is None and time.monotonic() < deadline:
            publish(kafka_settings, topics.enriched, CLIMATE, FOOTBALL)
            time.sleep(0.5)
        child.kill()
        out, _ = child.communicate()
    assert child.returncode == 0, "tail did not show two new articles in time"
    assert [("Climate deal" in line) for line in out.splitlines()] == [True, True]


def test_a_following_tail_reads_partitions_added_to_its_topic(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str]
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.enriched)])
    env = {**service_env, "KAFKA_METADATA_MAX_AGE_MS": "1000"}
    command = [sys.executable, "-m", "newswire", "tail", "--limit", "2"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        deadline = time.monotonic() + FOLLOW_TIMEOUT
        # Published until tail has shown one: then it reads every partition there was.
        while not select.select([child.stdout], [], [], 0.5)[0] and time.monotonic() < deadline:
            publish(kafka_settings, topics.enriched, CLIMATE, partition=0)
        if time.monotonic() >= deadline:
            child.kill()
        first = child.stdout.readline()
        admin = make_admin(kafka_settings, "test-grow")
        admin.create_partitions({topics.enriched: NewPartitions(topics.partitions + 1)})
        admin.close()
        # Only into the new partition: tail ends at its limit only if it reads that one too.
        while child.poll() is None and time.monotonic() < deadline:
            publish(kafka_settings, topics.enriched, FOOTBALL, partition=topics.partitions)
            time.sleep(0.5)
        child.kill()
        rest, _ = child.communicate()
    assert "Climate deal" in first
    assert child.returncode == 0, "tail did not read the partition added since it started"
    assert "Bayern gewinnt" in rest


def test_tail_waits_for_a_topic_that_does_not_exist_yet(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str]
) -> None:
    missing = newswire("tail", "--no-follow", env=service_env)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    # Without --from-beginning: what a topic created since tail started holds is all new.
    command = [sys.executable, "-m", "newswire", "tail", "--limit", "1"]
    with subprocess.Popen(
        command, env=service_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        time.sleep(5)  # started, and waiting
        assert child.poll() is None
        ensure_topics(kafka_settings, topics, [TopicSpec(topics.enriched)])
        publish(kafka_settings, topics.enriched, CLIMATE)
        out, err = child.communicate(timeout=FOLLOW_TIMEOUT)
    assert child.returncode == 0, err
    assert "waiting for topic" in err
    assert "Climate deal" in out


def test_tail_waiting_for_a_topic_stops_at_once_on_ctrl_c(service_env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "newswire", "tail"]
    with subprocess.Popen(
        command, env=service_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        time.sleep(5)  # started, and waiting for the topic
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=10)
    assert child.returncode == 0, err
    assert "waiting for topic" in err

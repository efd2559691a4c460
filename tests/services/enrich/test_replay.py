"""`newswire replay` on the real broker: each raw record of the range enriched again exactly once
(read_committed), by the new enricher, beside a live group whose offsets do not move."""

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import version as installed_version
from typing import Any

import pytest
from kafka import KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from newswire.kafka.clients import make_consumer, partitions_of
from newswire.kafka.serde import header
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from schemas import EnrichedArticle
from services.enrich import output, tag
from services.enrich import replay as replay_module
from services.enrich.consume import EnrichService
from services.enrich.dead_letter import DeadLetter
from services.enrich.replay import Replay, Window
from services.enrich.settings import EnrichSettings
from services.enrich.tag import Tagger
from tests.conftest import read_topic
from tests.newswire.test_cli import newswire
from tests.services.enrich.test_consume import raw_bytes, stories_around_unreadable

NEW_VERSION = "9.9.9-replay"
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(batch_size=4)


@pytest.fixture(scope="module")
def improved_tagger() -> Iterator[Tagger]:
    """A tagger that records a newer enricher version, as an upgraded newswire would.

    The Tagger reads its version from the installed package once, when it is built; there is no
    setting for it, so the lookup is patched while this one is built.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            tag,
            "version",
            lambda name: NEW_VERSION if name == "newswire" else installed_version(name),
        )
        improved = Tagger(batch_size=4)
    assert improved.enricher.version == NEW_VERSION
    yield improved


def settings_for(kafka: KafkaSettings, topics: TopicSettings) -> EnrichSettings:
    return EnrichSettings(
        kafka=kafka,
        topics=topics,
        metrics_port=0,
        group_id=f"live-{uuid.uuid4().hex[:8]}",
        batch_size=4,
    )


def publish_raw(
    kafka: KafkaSettings, topic: str, count: int, at: datetime | None = None
) -> list[bytes]:
    """`count` raw articles, with record timestamps `at` if given; returns their keys."""
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    keys = []
    for n in range(count):
        key, value, headers = raw_bytes(f"Story {n}", f"Angela Merkel visited Paris on day {n}.")
        timestamp = None if at is None else int(at.timestamp() * 1000)
        producer.send(topic, key=key, value=value, headers=headers, timestamp_ms=timestamp)
        keys.append(key)
    producer.flush()
    producer.close()
    return keys


def committed(kafka: KafkaSettings, group: str) -> dict[TopicPartition, int]:
    """The offsets `group` has committed, per partition."""
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    try:
        offsets = admin.list_group_offsets({group: None})[group]
    finally:
        admin.close()
    return {partition: meta.offset for partition, meta in offsets.items()}


def enriched_versions(kafka: KafkaSettings, topic: str) -> Counter[tuple[bytes, str]]:
    """How often each (key, enricher version) is on the enriched topic, read_committed."""
    found: Counter[tuple[bytes, str]] = Counter()
    for record in read_topic(kafka, topic):
        assert header(record.headers, "schema") == EnrichedArticle.SCHEMA
        found[record.key, EnrichedArticle.model_validate_json(record.value).enricher.version] += 1
    return found


def test_replay_enriches_everything_again_once_and_leaves_the_live_group_alone(
    kafka_settings: KafkaSettings, topics: TopicSettings, tagger: Tagger, improved_tagger: Tagger
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    keys = publish_raw(kafka_settings, topics.raw, 9)
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    producer.send(topics.raw, key=b"poison", value=b"not json")
    producer.flush()
    producer.close()
    settings = settings_for(kafka_settings, topics)
    EnrichService(settings, tagger, threading.Event()).run(until_idle=1)
    live_before = committed(kafka_settings, settings.group_id)
    assert sum(live_before.values()) == 10

    reported: list[int] = []
    run = Replay(
        settings, improved_tagger, Window(), threading.Event(), lambda p: reported.append(p.done)
    )
    progress = run.run()

    assert (progress.total, progress.done, progress.enriched, progress.dead_lettered) == (
        10,
        10,
        9,
        1,
    )
    assert progress.finished and reported[0] == 0 and reported[-1] == 10
    assert reported == sorted(reported)
    old = tagger.enricher.version
    assert enriched_versions(kafka_settings, topics.enriched) == Counter(
        {**{(key, old): 1 for key in keys}, **{(key, NEW_VERSION): 1 for key in keys}}
    )
    assert len(read_topic(kafka_settings, topics.dlq)) == 2  # the poison, once per pass
    assert committed(kafka_settings, settings.group_id) == live_before
    assert run.group_id != settings.group_id
    assert sum(committed(kafka_settings, run.group_id).values()) == 10


def test_replay_dead_letters_a_record_that_cannot_be_read_and_finishes(
    kafka_settings: KafkaSettings, topics: TopicSettings, tagger: Tagger
) -> None:
    stories_around_unreadable(kafka_settings, topics)
    settings = settings_for(kafka_settings, topics)
    progress = Replay(settings, tagger, Window(), threading.Event(), lambda _: None).run()
    assert progress.finished
    assert (progress.enriched, progress.dead_lettered) == (2, 2)
    letters = read_topic(kafka_settings, topics.dlq)
    assert [header(letter.headers, "dlq.reason") for letter in letters] == ["unreadable"] * 2


def test_a_window_replays_only_the_records_published_within_it(
    kafka_settings: KafkaSettings, topics: TopicSettings, improved_tagger: Tagger
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    now = datetime.now(UTC)
    publish_raw(kafka_settings, topics.raw, 3, at=now - 3 * HOUR)
    inside = publish_raw(kafka_settings, topics.raw, 4, at=now - 2 * HOUR)
    publish_raw(kafka_settings, topics.raw, 3, at=now - HOUR)
    window = Window(start=now - 2.5 * HOUR, end=now - 1.5 * HOUR)
    settings = settings_for(kafka_settings, topics)

    progress = Replay(settings, improved_tagger, window, threading.Event()).run()

    assert (progress.total, progress.enriched) == (4, 4)
    found = enriched_versions(kafka_settings, topics.enriched)
    assert found == Counter({(key, NEW_VERSION): 1 for key in inside})

    # From before 1970, which Kafka's record times cannot be: from the first record.
    early = Window(start=datetime(1900, 1, 1, tzinfo=UTC), end=now - 2.5 * HOUR)
    progress = Replay(settings, improved_tagger, early, threading.Event()).run()
    assert (progress.total, progress.enriched) == (3, 3)


def test_a_batch_that_fails_to_commit_is_replayed_and_still_appears_once(
    kafka_settings: KafkaSettings,
    topics: TopicSettings,
    improved_tagger: Tagger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    keys = publish_raw(kafka_settings, topics.raw, 6)
    real_send = output.send_batch
    failures = iter([True])  # the first batch: its records are sent, then its commit fails

    def send_then_fail(
        producer: KafkaProducer,
        topics: TopicSettings,
        enriched: list[EnrichedArticle],
        dead_letters: list[DeadLetter],
        max_bytes: int,
    ) -> list[Any]:
        sent = real_send(producer, topics, enriched, dead_letters, max_bytes)
        if next(failures, False):
            raise KafkaError("injected: the broker went away mid-transaction")
        return sent

    monkeypatch.setattr(replay_module, "send_batch", send_then_fail)
    progress = Replay(
        settings_for(kafka_settings, topics), improved_tagger, Window(), threading.Event()
    ).run()

    assert list(failures) == [], "the failure was never injected"
    assert progress.enriched == 6
    assert enriched_versions(kafka_settings, topics.enriched) == Counter(
        {(key, NEW_VERSION): 1 for key in keys}
    )


def test_the_command_shows_progress_and_replays_a_range(
    kafka_settings: KafkaSettings, topics: TopicSettings, service_env: dict[str, str]
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    now = datetime.now(UTC)
    publish_raw(kafka_settings, topics.raw, 2, at=now - 2 * HOUR)
    inside = publish_raw(kafka_settings, topics.raw, 3, at=now - HOUR)
    started = time.monotonic()
    result = newswire(
        "replay", "--from", (now - 1.5 * HOUR).isoformat(), "--to", now.isoformat(), env=service_env
    )
    assert result.returncode == 0, result.stderr
    assert "replay: 3/3 offsets (100%): 3 enriched" in result.stderr
    assert f"replayed {topics.raw} into {topics.enriched}" in result.stderr
    assert sorted(record.key for record in read_topic(kafka_settings, topics.enriched)) == sorted(
        inside
    )
    assert time.monotonic() - started < 120
    # Created by the replay as the service makes them, not by Kafka with its default partitions.
    consumer = make_consumer(kafka_settings, "test-partitions", None)
    try:
        for topic in (topics.enriched, topics.dlq):
            assert len(partitions_of(consumer, topic)) == topics.partitions
    finally:
        consumer.close()


def test_the_command_gives_up_when_kafka_cannot_be_reached(service_env: dict[str, str]) -> None:
    env = {**service_env, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "NEWSWIRE_ONCE_KAFKA_WAIT": "2"}
    result = newswire("replay", "--all", env=env, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "newswire: error:" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --from and/or --to, or --all"),
        (("--all", "--from", "2026-01-01"), "give --from and/or --to, or --all"),
        (("--from", "2026-02-01", "--to", "2026-01-01"), "--from must be earlier than --to"),
        (("--from", "yesterday"), "not an ISO-8601 time"),
    ],
)
def test_the_command_refuses_an_unclear_range(args: tuple[str, ...], message: str) -> None:
    result = newswire("replay", *args, env={"PATH": ""})
    assert result.returncode == 2
    assert message in result.stderr


def test_the_command_has_help() -> None:
    result = newswire("replay", "--help", env={"PATH": ""})
    assert result.returncode == 0
    assert "Enrich raw articles again" in result.stdout

"""The enrich loop on the real broker: good records enriched once, poison dead-lettered once,
both in the transaction that commits their offsets."""

import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from kafka import KafkaProducer
from kafka.coordinator.assignors.abstract import ConsumerProtocolAssignment
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.errors import KafkaError
from prometheus_client import REGISTRY

from newswire.errors import CheckpointError
from newswire.kafka.clients import make_consumer, subscribe
from newswire.kafka.serde import ArticleSerializer, Headers, header
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from schemas import EnrichedArticle, RawArticle, Source, SourceKind
from services.enrich import consume
from services.enrich.checkpoint import CLIENT_ID, Offsets, TransactionalCheckpoint
from services.enrich.consume import EnrichService
from services.enrich.dead_letter import record_size
from services.enrich.metrics import DEAD_LETTER_REASONS
from services.enrich.settings import EnrichSettings
from services.enrich.tag import Tagger
from services.ingest.normalize import ArticleDraft, build_article
from tests.conftest import read_topic
from tests.newswire.kafka.test_unreadable import write_with_unreadable
from tests.services.enrich.delivery import read_uncommitted

MAX_BYTES = 4096


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(batch_size=8)


def raw_bytes(title: str, body: str) -> tuple[bytes, bytes, Headers]:
    article = build_article(
        ArticleDraft(title=title, body=body, url=f"https://news.test/{uuid.uuid4().hex}"),
        Source(kind=SourceKind.SEED, path="test"),
        datetime.now(UTC),
    )
    headers: Headers = []
    value = ArticleSerializer().serialize("raw", headers, article)
    return article.id.encode(), value, headers


def near_the_limit() -> tuple[bytes, Headers]:
    """A raw record under `MAX_BYTES` whose enriched record, with its entities, is over it."""
    sentence = "Angela Merkel met Emmanuel Macron in Paris. "
    _, value, headers = raw_bytes("Close call", sentence)
    repeats = (MAX_BYTES - 300 - len(value)) // len(sentence)
    _, value, headers = raw_bytes("Close call", sentence * repeats)
    assert MAX_BYTES - 400 < len(value) < MAX_BYTES - 200
    return value, headers


def service_settings(
    kafka: KafkaSettings, topics: TopicSettings, **overrides: Any
) -> EnrichSettings:
    """An enrich service's settings on this test's broker and topics, in a group of its own."""
    fields: dict[str, Any] = {"metrics_port": 0, "group_id": f"test-{uuid.uuid4().hex[:8]}"}
    return EnrichSettings(kafka=kafka, topics=topics, **(fields | overrides))


def stories_around_unreadable(kafka: KafkaSettings, topics: TopicSettings) -> list[bytes]:
    """Four raw articles on partition 0 of the raw topic: the first, then the second, which cannot
    be read, and the third in the same batch, then the fourth; returns the keys of each."""
    ensure_topics(kafka, topics, [TopicSpec(topics.raw)])
    stories = [
        raw_bytes(f"Story {n}", f"Angela Merkel visited Paris on day {n}.") for n in range(4)
    ]
    write_with_unreadable(kafka, topics.raw, stories[:3], stories[3])
    return [key for key, _, _ in stories]


def test_poison_is_dead_lettered_and_every_good_record_enriched_once(
    kafka_settings: KafkaSettings, topics: TopicSettings, tagger: Tagger
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    good = [
        raw_bytes(f"Story {n}", f"Angela Merkel met Emmanuel Macron in Paris on day {n}.")
        for n in range(5)
    ]
    _, oversized_value, oversized_headers = raw_bytes("Huge", "word " * MAX_BYTES)
    _, future_value, _ = raw_bytes("From the future", "A newer major version.")
    poison: list[tuple[bytes | None, Headers, str]] = [
        (b"\x00\x9c garbage \xff", [], "invalid_utf8"),
        (b"not json at all", [], "invalid_json"),
        (b'{"title": "right JSON, wrong shape"}', [], "schema_mismatch"),
        (oversized_value, oversized_headers, "too_large"),
        (future_value, [("schema", b"newswire.article.raw/9")], "unsupported_schema"),
        # A schema header that is not UTF-8 is not a missing one.
        (future_value, [("schema", b"\xff\xfenewswire.article.raw/1")], "unsupported_schema"),
        (None, [], "empty"),  # a tombstone
        # A dead letter put back into the raw topic, which fails again.
        (b"{", [("dlq.reason", b"old_failure"), ("dlq.offset", b"999")], "invalid_json"),
        (*near_the_limit(), "too_large"),
    ]
    assert {reason for *_, reason in poison} <= set(DEAD_LETTER_REASONS)  # series from the start
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    for index, (bad_value, bad_headers, _) in enumerate(poison):
        if index < len(good):
            good_key, good_value, good_headers = good[index]
            producer.send(topics.raw, key=good_key, value=good_value, headers=good_headers)
        producer.send(topics.raw, key=b"poison-%d" % index, value=bad_value, headers=bad_headers)
    producer.flush()
    producer.close()

    settings = service_settings(kafka_settings, topics, max_record_bytes=MAX_BYTES, batch_size=4)
    assert EnrichService(settings, tagger, threading.Event()).run(until_idle=2) == 0

    enriched = read_topic(kafka_settings, topics.enriched)
    assert sorted(record.key for record in enriched) == sorted(key for key, _, _ in good)
    for record in enriched:
        article = EnrichedArticle.model_validate_json(record.value)
        assert {entity.name for entity in article.entities} >= {"Angela Merkel", "Paris"}
        assert header(record.headers, "schema") == "newswire.article.enriched/1"

    letters = {letter.key: letter for letter in read_topic(kafka_settings, topics.dlq)}
    assert sorted(letters) == sorted(b"poison-%d" % index for index in range(len(poison)))
    for index, (value, _, reason) in enumerate(poison):
        letter = letters[b"poison-%d" % index]
        assert header(letter.headers, "dlq.reason") == reason
        assert header(letter.headers, "dlq.topic") == topics.raw
        assert [name for name, _ in letter.headers].count("dlq.offset") == 1
        if value is None or record_size(letter.key, value, letter.headers) <= MAX_BYTES:
            assert letter.value == value  # the original bytes, untouched; a tombstone stays one
        else:  # it would not fit: the raw topic still has it
            assert letter.value == b""
            assert header(letter.headers, "dlq.value.dropped") == str(len(value))
    close_call = letters[b"poison-%d" % (len(poison) - 1)]
    assert header(close_call.headers, "dlq.stage") == "enrich"
    assert header(close_call.headers, "dlq.error.class") == "RecordTooLargeError"
    stages = {header(letter.headers, "dlq.stage") for letter in letters.values()}
    assert stages == {"decode", "enrich"}


def test_a_record_that_cannot_be_read_is_dead_lettered_where_it_is_and_the_rest_enriched(
    kafka_settings: KafkaSettings, topics: TopicSettings, tagger: Tagger
) -> None:
    keys = stories_around_unreadable(kafka_settings, topics)
    settings = service_settings(kafka_settings, topics)
    assert EnrichService(settings, tagger, threading.Event()).run(until_idle=2) == 0

    enriched = read_topic(kafka_settings, topics.enriched)
    assert sorted(record.key for record in enriched) == sorted([keys[0], keys[3]])
    letters = read_topic(kafka_settings, topics.dlq)
    # The unreadable record, and the one after it in its batch, which cannot be read either.
    assert sorted(header(letter.headers, "dlq.offset") or "" for letter in letters) == ["1", "2"]
    for letter in letters:
        assert header(letter.headers, "dlq.reason") == "unreadable"
        assert header(letter.headers, "dlq.topic") == topics.raw
        assert "UnicodeDecodeError" in (header(letter.headers, "dlq.error.message") or "")


def test_an_article_in_another_language_gets_its_language_and_keywords_and_is_counted(
    kafka_settings: KafkaSettings, topics: TopicSettings, tagger: Tagger
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    french = raw_bytes(
        "Le gouvernement présente sa réforme des retraites",
        "Le Premier ministre a présenté mardi à Paris la réforme des retraites, que les "
        "syndicats jugent injuste. Une grève nationale est prévue jeudi dans tout le pays.",
    )
    english = raw_bytes("Story", "Angela Merkel met Emmanuel Macron in Paris on Monday.")
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    for key, value, headers in (french, english):
        producer.send(topics.raw, key=key, value=value, headers=headers)
    producer.close()
    before = REGISTRY.get_sample_value("newswire_enrich_language_only_total") or 0
    settings = service_settings(kafka_settings, topics)
    assert EnrichService(settings, tagger, threading.Event()).run(until_idle=2) == 0

    by_key = {
        record.key: EnrichedArticle.model_validate_json(record.value)
        for record in read_topic(kafka_settings, topics.enriched)
    }
    in_french = by_key[french[0]]
    assert (in_french.language, in_french.entities, in_french.topics) == ("fr", [], [])
    assert in_french.keywords
    assert by_key[english[0]].entities
    assert REGISTRY.get_sample_value("newswire_enrich_language_only_total") == before + 1


def test_a_restarted_service_resumes_after_its_last_commit(
    kafka_settings: KafkaSettings, topics: TopicSettings, tagger: Tagger
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    settings = service_settings(kafka_settings, topics)
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)

    def publish(count: int) -> None:
        for n in range(count):
            key, value, headers = raw_bytes(f"Story {n}", "Rome and Madrid signed a treaty.")
            producer.send(topics.raw, key=key, value=value, headers=headers)
        producer.flush()

    publish(3)
    EnrichService(settings, tagger, threading.Event()).run(until_idle=1)
    publish(2)
    EnrichService(settings, tagger, threading.Event()).run(until_idle=1)
    producer.close()
    assert len(read_topic(kafka_settings, topics.enriched)) == 5


class _SlowLeaderAssignor(RangePartitionAssignor):  # type: ignore[misc]  # kafka-python: no types
    """As group leader, takes its time and then gives every partition to the enrich members
    (while there are none, to itself): they know their generation for seconds before they are
    told their share."""

    @classmethod
    def assign(cls, cluster: Any, members: list[Any]) -> dict[str, Any]:
        time.sleep(1.5)  # blocks the leader's I/O loop, which kafka-python warns of: keep it short
        enrich = [member for member in members if member.member_id.startswith(CLIENT_ID)]
        nothing = ConsumerProtocolAssignment(0, [], b"")
        shares = RangePartitionAssignor.assign(cluster, enrich or members)
        return {member.member_id: shares.get(member.member_id, nothing) for member in members}


def test_until_idle_waits_until_the_group_has_told_the_member_its_share(
    kafka_settings: KafkaSettings, topics: TopicSettings, tagger: Tagger
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    for n in range(3):
        key, value, headers = raw_bytes(f"Story {n}", "Oslo and Lisbon signed a treaty.")
        producer.send(topics.raw, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()
    group = f"g-{uuid.uuid4().hex[:8]}"
    leader = make_consumer(
        kafka_settings, "slow-leader", group, partition_assignment_strategy=[_SlowLeaderAssignor]
    )
    subscribe(leader, topics.raw)
    joined, stop = threading.Event(), threading.Event()

    def lead() -> None:
        while not stop.is_set():
            leader.poll(timeout_ms=200)
            if leader.assignment():
                joined.set()

    thread = threading.Thread(target=lead, name="slow-leader", daemon=True)
    thread.start()
    try:
        assert joined.wait(60), "the leader did not join on its own"
        settings = EnrichSettings(
            kafka=kafka_settings, topics=topics, metrics_port=0, group_id=group
        )
        assert EnrichService(settings, tagger, threading.Event()).run(until_idle=0.5) == 0
    finally:
        stop.set()
        thread.join(timeout=10)
        leader.close()
    assert len(read_topic(kafka_settings, topics.enriched)) == 3


def test_dead_letters_are_committed_with_their_offsets_or_not_at_all(
    kafka_settings: KafkaSettings,
    topics: TopicSettings,
    tagger: Tagger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first commit fails after the batch reached the broker: none of it may be seen."""
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    good = [raw_bytes(f"Story {n}", "Rome and Madrid signed a treaty.") for n in range(4)]
    poison = [(b"poison-%d" % n, b"\xff not UTF-8", "invalid_utf8") for n in range(2)]
    poison += [(b"poison-json", b"{not json", "invalid_json")]
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    for key, value, headers in good:  # one partition: the first poll holds them all
        producer.send(topics.raw, key=key, value=value, headers=headers, partition=0)
    for key, value, _ in poison:
        producer.send(topics.raw, key=key, value=value, partition=0)
    producer.flush()
    producer.close()

    commit = TransactionalCheckpoint.commit
    failed: list[Offsets] = []

    def fail_first_commit(self: TransactionalCheckpoint, offsets: Offsets, sent: list[Any]) -> None:
        if not failed:
            failed.append(offsets)
            self.producer.flush()  # the batch's records and dead letters are on the broker
            raise CheckpointError("error", "injected: the transaction is not committed")
        commit(self, offsets, sent)

    monkeypatch.setattr(TransactionalCheckpoint, "commit", fail_first_commit)
    counted = {reason: dead_letters_counted(reason) for _, _, reason in poison}
    settings = service_settings(kafka_settings, topics)
    assert EnrichService(settings, tagger, threading.Event()).run(until_idle=2) == 0

    assert failed, "the injected failure never happened"
    enriched = read_topic(kafka_settings, topics.enriched)
    assert sorted(r.key for r in enriched) == sorted(key for key, _, _ in good)
    letters = read_topic(kafka_settings, topics.dlq)
    assert sorted(r.key for r in letters) == sorted(key for key, _, _ in poison)
    # The aborted copies are in the log, invisible to read_committed consumers.
    assert len(read_uncommitted(kafka_settings, topics.dlq)) == 2 * len(poison)
    assert len(read_uncommitted(kafka_settings, topics.enriched)) == 2 * len(good)
    # Counted by reason once, when committed; not for the aborted attempt.
    for reason in {"invalid_utf8", "invalid_json"}:
        expected = sum(1 for _, _, r in poison if r == reason)
        assert dead_letters_counted(reason) - counted[reason] == expected


def test_a_member_that_outlasts_the_poll_interval_aborts_and_the_batch_runs_again(
    kafka_settings: KafkaSettings,
    topics: TopicSettings,
    tagger: Tagger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tagging takes longer than max.poll.interval.ms once: the consumer leaves its group, so its
    commit must fail (it would otherwise be taken unfenced) and the batch be processed again."""
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    settings = EnrichSettings(
        kafka=kafka_settings,
        topics=topics,
        metrics_port=0,
        group_id=f"slow-{uuid.uuid4().hex[:8]}",
        batch_size=4,
        article_seconds_max=0.05,
        commit_timeout=1.0,
        session_timeout=6.0,
    )
    assert settings.max_poll_interval_ms == 3600  # (2 x 4 x 0.05 s + 2 x 1 s) x 1.5
    articles = [raw_bytes(f"Story {n}", "Rome and Madrid signed a treaty.") for n in range(8)]
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    for key, value, headers in articles:
        producer.send(topics.raw, key=key, value=value, headers=headers, partition=0)
    producer.flush()
    producer.close()

    tag = tagger.tag
    slow: list[float] = []

    def slow_once(batch: Sequence[RawArticle]) -> list[EnrichedArticle]:
        if not slow:
            slow.append(time.monotonic())
            time.sleep(settings.max_poll_interval_ms / 1000 + 4)  # past a heartbeat's check
        return tag(batch)

    monkeypatch.setattr(tagger, "tag", slow_once)
    rebalances = checkpoint_failures("rebalance")
    assert EnrichService(settings, tagger, threading.Event()).run(until_idle=2) == 0

    assert checkpoint_failures("rebalance") - rebalances == 1
    enriched = read_topic(kafka_settings, topics.enriched)
    assert sorted(r.key for r in enriched) == sorted(key for key, _, _ in articles)


def dead_letters_counted(reason: str) -> float:
    return REGISTRY.get_sample_value("newswire_enrich_dead_letters_total", {"reason": reason}) or 0


def checkpoint_failures(reason: str) -> float:
    name = "newswire_enrich_checkpoint_failures_total"
    return REGISTRY.get_sample_value(name, {"reason": reason}) or 0


def test_not_ready_is_logged_when_it_starts_or_changes_then_once_a_minute(
    tagger: Tagger, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = EnrichService(EnrichSettings(metrics_port=0), tagger, threading.Event())
    down = KafkaError("ECONNREFUSED")
    for _ in range(30):  # the probe runs every second while Kafka is down
        service._not_ready("cannot reach Kafka", down)
    service._not_ready("poll failed", down)
    monkeypatch.setattr(consume, "NOT_READY_REPEAT_S", 0.0)
    service._not_ready("poll failed", down)  # a minute later, say, and still down
    said = [record.msg for record in caplog.records if record.name == consume.__name__]
    assert said == ["cannot reach Kafka", "poll failed", "poll failed"]

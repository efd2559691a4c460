"""The enrich loop on the real broker: good records enriched once, poison dead-lettered."""

import threading
import uuid
from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer

from newswire.kafka.serde import ArticleSerializer, Headers, header
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from schemas import EnrichedArticle, Source, SourceKind
from services.enrich.consume import EnrichService
from services.enrich.settings import EnrichSettings
from services.enrich.tag import Tagger
from services.ingest.normalize import ArticleDraft, build_article
from tests.conftest import read_topic

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
    poison: list[tuple[bytes, Headers, str]] = [
        (b"\x00\x9c garbage \xff", [], "invalid_utf8"),
        (b"not json at all", [], "invalid_json"),
        (b'{"title": "right JSON, wrong shape"}', [], "schema_mismatch"),
        (oversized_value, oversized_headers, "too_large"),
        (future_value, [("schema", b"newswire.article.raw/9")], "unsupported_schema"),
    ]
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    for index, (key, value, headers) in enumerate(good):
        producer.send(topics.raw, key=key, value=value, headers=headers)
        bad_value, bad_headers, _ = poison[index]
        producer.send(topics.raw, key=b"poison-%d" % index, value=bad_value, headers=bad_headers)
    producer.flush()
    producer.close()

    settings = EnrichSettings(
        kafka=kafka_settings,
        topics=topics,
        metrics_port=0,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        max_record_bytes=MAX_BYTES,
        batch_size=4,
    )
    assert EnrichService(settings, tagger, threading.Event()).run(until_idle=2) == 0

    enriched = read_topic(kafka_settings, topics.enriched)
    assert sorted(record.key for record in enriched) == sorted(key for key, _, _ in good)
    for record in enriched:
        article = EnrichedArticle.model_validate_json(record.value)
        assert {entity.name for entity in article.entities} >= {"Angela Merkel", "Paris"}
        assert header(record.headers, "schema") == "newswire.article.enriched/1"

    letters = read_topic(kafka_settings, topics.dlq)
    assert sorted(header(r.headers, "dlq.reason") or "" for r in letters) == sorted(
        reason for _, _, reason in poison
    )
    for letter in letters:
        assert header(letter.headers, "dlq.topic") == topics.raw
        assert header(letter.headers, "dlq.stage") == "decode"
        assert header(letter.headers, "dlq.error.class") == "DecodeError"
        assert letter.key is not None and letter.key.startswith(b"poison-")
    by_reason = {header(r.headers, "dlq.reason"): r for r in letters}
    assert by_reason["invalid_utf8"].value == poison[0][0]  # the original bytes, untouched


def test_a_restarted_service_resumes_after_its_last_commit(
    kafka_settings: KafkaSettings, topics: TopicSettings, tagger: Tagger
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    settings = EnrichSettings(
        kafka=kafka_settings, topics=topics, metrics_port=0, group_id=f"g-{uuid.uuid4().hex[:8]}"
    )
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

"""`newswire.client.subscribe` on the real broker: validated articles, poison skipped, groups."""

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

import pytest

from newswire.client import subscribe
from newswire.errors import ConfigError
from newswire.kafka.clients import make_producer
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from newswire.tail import tail
from schemas import EnrichedArticle, RawArticle, SourceKind
from tests.newswire.test_tail import CLIMATE, ELECTION, FOOTBALL, article, publish

FOLLOW_TIMEOUT = 60.0


def titles(articles: list[EnrichedArticle]) -> list[str]:
    return sorted(one.title for one in articles)


@pytest.fixture
def enriched(kafka_settings: KafkaSettings, topics: TopicSettings) -> str:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.enriched)])
    publish(kafka_settings, topics.enriched, CLIMATE, FOOTBALL, ELECTION)
    return topics.enriched


def test_every_valid_article_and_a_warning_for_each_record_that_is_none(
    kafka_settings: KafkaSettings, enriched: str, caplog: pytest.LogCaptureFixture
) -> None:
    producer = make_producer(kafka_settings, "test-poison")
    later_major = [("schema", b"newswire.article.enriched/2")]
    producer.send(enriched, key=b"a", value=CLIMATE.model_dump_json().encode(), headers=later_major)
    producer.send(enriched, key=b"b", value=b"\xff\xfe not text")
    producer.send(enriched, key=b"c", value=b'{"title": "no id, no source"}')
    producer.flush()
    producer.close()

    with caplog.at_level(logging.WARNING, logger="newswire.client"):
        got = list(
            subscribe(
                enriched,
                from_beginning=True,
                follow=False,
                bootstrap_servers=kafka_settings.bootstrap_servers,
            )
        )
    assert titles(got) == ["Bayern gewinnt", "Climate deal", "Election called"]
    assert all(isinstance(one, EnrichedArticle) for one in got)
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 3
    for reason in ("unsupported_schema", "invalid_utf8", "schema_mismatch"):
        assert any(reason in warning for warning in warnings), warnings


def test_a_group_resumes_where_it_stopped_and_redelivers_what_it_did_not_finish(
    kafka_settings: KafkaSettings, enriched: str
) -> None:
    group = f"readers-{uuid.uuid4().hex[:8]}"

    def read(**options: bool) -> list[EnrichedArticle]:
        return list(
            subscribe(
                enriched,
                group_id=group,
                follow=False,
                bootstrap_servers=kafka_settings.bootstrap_servers,
                **options,
            )
        )

    interrupted = subscribe(
        enriched,
        group_id=group,
        from_beginning=True,
        bootstrap_servers=kafka_settings.bootstrap_servers,
    )
    assert len(list(islice(interrupted, 1))) == 1
    interrupted.close()  # while the caller still had the first article: not committed
    assert len(read(from_beginning=True)) == 3
    assert read() == []
    newer = article("Newer", "Olaf Scholz", "medtop:11000000", CLIMATE.source.kind, "en")
    publish(kafka_settings, enriched, newer)
    assert read() == [newer]


def test_a_new_group_without_from_beginning_starts_with_new_articles(
    kafka_settings: KafkaSettings, enriched: str
) -> None:
    group = f"newcomers-{uuid.uuid4().hex[:8]}"
    servers = kafka_settings.bootstrap_servers
    assert list(subscribe(enriched, group_id=group, follow=False, bootstrap_servers=servers)) == []
    publish(kafka_settings, enriched, ELECTION)
    got = list(subscribe(enriched, group_id=group, follow=False, bootstrap_servers=servers))
    assert got == [ELECTION]


def test_it_follows_new_articles_until_the_caller_stops(
    kafka_settings: KafkaSettings, enriched: str
) -> None:
    done = threading.Event()

    def keep_publishing() -> None:  # until the iterator, which starts at the end, has seen one
        while not done.wait(0.5):
            publish(kafka_settings, enriched, FOOTBALL)

    publisher = threading.Thread(target=keep_publishing, daemon=True)
    publisher.start()
    try:
        articles = subscribe(enriched, bootstrap_servers=kafka_settings.bootstrap_servers)
        first = next(articles)
        articles.close()
    finally:
        done.set()
        publisher.join(FOLLOW_TIMEOUT)
    assert first == FOOTBALL


def test_raw_articles_with_the_raw_model_and_a_missing_topic_refused(
    kafka_settings: KafkaSettings, topics: TopicSettings
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    raw = RawArticle.model_validate(CLIMATE.model_dump())
    publish_raw = make_producer(kafka_settings, "test-ingest")
    publish_raw.send(topics.raw, key=raw.id.encode(), value=raw)
    publish_raw.flush()
    publish_raw.close()
    servers = kafka_settings.bootstrap_servers
    got = list(
        subscribe(
            topics.raw,
            model=RawArticle,
            from_beginning=True,
            follow=False,
            bootstrap_servers=servers,
        )
    )
    assert got == [raw]
    with pytest.raises(ConfigError, match="does not exist"):
        next(subscribe(f"missing-{uuid.uuid4().hex}", follow=False, bootstrap_servers=servers))


@pytest.mark.parametrize("group_id", [None, "readers"])
def test_following_waits_for_a_topic_that_is_created_later(
    kafka_settings: KafkaSettings, topics: TopicSettings, group_id: str | None
) -> None:
    def create_and_publish() -> None:
        time.sleep(2)  # the reader is waiting by then
        ensure_topics(kafka_settings, topics, [TopicSpec(topics.enriched)])
        publish(kafka_settings, topics.enriched, CLIMATE)

    later = threading.Thread(target=create_and_publish)
    later.start()
    articles = subscribe(
        topics.enriched,
        group_id=group_id and f"{group_id}-{uuid.uuid4().hex}",
        from_beginning=True,
        bootstrap_servers=kafka_settings.bootstrap_servers,
    )
    try:
        assert next(articles).title == "Climate deal"
    finally:
        articles.close()
        later.join()


@contextmanager
def steady_traffic(kafka: KafkaSettings, topic: str, seconds: float = 60) -> Iterator[None]:
    """An article on `topic` every 50 ms, for `seconds` at most."""
    stop = threading.Event()

    def produce() -> None:
        producer = make_producer(kafka, "test-steady")
        deadline = time.monotonic() + seconds
        try:
            while not stop.wait(0.05) and time.monotonic() < deadline:
                one = article(
                    f"Steady {uuid.uuid4().hex}",
                    "Olaf Scholz",
                    "medtop:11000000",
                    SourceKind.RSS,
                    "en",
                )
                producer.send(topic, key=one.id.encode(), value=one)
                producer.flush()
        finally:
            producer.close()

    thread = threading.Thread(target=produce)
    thread.start()
    try:
        time.sleep(1)  # flowing already
        yield
    finally:
        stop.set()
        thread.join()


def test_without_follow_reading_ends_at_what_there_was_while_records_keep_coming(
    kafka_settings: KafkaSettings, enriched: str, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = kafka_settings.bootstrap_servers
    with steady_traffic(kafka_settings, enriched):
        started = time.monotonic()
        got = list(
            subscribe(enriched, from_beginning=True, follow=False, bootstrap_servers=servers)
        )
        group = f"test-{uuid.uuid4().hex[:8]}"
        in_group = list(
            subscribe(
                enriched,
                group_id=group,
                from_beginning=True,
                follow=False,
                bootstrap_servers=servers,
            )
        )
        shown = tail(kafka_settings, enriched, True, None, False, threading.Event(), follow=False)
        seconds = time.monotonic() - started
    assert seconds < 30  # the traffic went on for 60
    for read in (got, in_group):
        assert {"Bayern gewinnt", "Climate deal", "Election called"} <= set(titles(read))
    assert shown >= 3 and "Climate deal" in capsys.readouterr().out

"""The feed list in Kafka, on the real broker: written from a file, changed, and read back."""

from kafka import KafkaProducer

from newswire.kafka.topics import COMPACTED, TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from services.ingest.catalog import publish_list, published_list
from services.ingest.feeds import FeedConfig
from tests.conftest import read_topic

TIMEOUT = 10.0


def feed(name: str, **extra: object) -> FeedConfig:
    return FeedConfig.model_validate({"url": f"https://{name}.test/rss", "name": name, **extra})


def test_the_topic_follows_the_file_with_the_fewest_records(
    kafka_settings: KafkaSettings, topics: TopicSettings
) -> None:
    topic = topics.ingest_feeds
    ensure_topics(kafka_settings, topics, [TopicSpec(topic, COMPACTED)])
    first = [feed("a"), feed("b"), feed("c", enabled=False)]
    assert publish_list(kafka_settings, topic, first, TIMEOUT) == 3
    assert publish_list(kafka_settings, topic, first, TIMEOUT) == 0  # another replica, same file
    changed = [feed("a", interval=60.0), feed("c"), feed("d")]
    assert publish_list(kafka_settings, topic, changed, TIMEOUT) == 4  # a, c, d changed; b gone

    assert published_list(kafka_settings, topic, TIMEOUT) == {f.url: f for f in changed}
    records = read_topic(kafka_settings, topic)
    (tombstone,) = [record for record in records if record.value is None]
    assert tombstone.key == feed("b").url.encode()
    assert all(
        ("schema", b"newswire.ingest.feed/1") in record.headers
        for record in records
        if record.value is not None
    )


def test_records_that_are_not_feeds_are_skipped(
    kafka_settings: KafkaSettings, topics: TopicSettings
) -> None:
    topic = topics.ingest_feeds
    ensure_topics(kafka_settings, topics, [TopicSpec(topic, COMPACTED)])
    publish_list(kafka_settings, topic, [feed("a")], TIMEOUT)
    stranger = KafkaProducer(**kafka_settings.client_config())
    stranger.send(topic, key=b"https://x.test/rss", value=b"{not json")
    stranger.send(topic, key=None, value=b"{}")
    wrong = feed("y").model_dump_json().encode()  # the entry of another URL than its key
    stranger.send(
        topic,
        key=b"https://z.test/rss",
        value=wrong,
        headers=[("schema", b"newswire.ingest.feed/1")],
    )
    stranger.flush()
    stranger.close()
    assert published_list(kafka_settings, topic, TIMEOUT) == {feed("a").url: feed("a")}

"""The feed list in Kafka: a compacted topic, keyed by feed URL, that every ingest replica shares.

A replica with a feeds file writes the file there at start-up and at each reload: the entries
that are new or changed, and a tombstone for each feed the file no longer lists. Replicas given
the same file agree on the list whichever writes first; with different files, the last write
wins. Replicas without a file poll what the topic holds. Which replica polls which feed is
decided by the consumer group reading this topic (ownership.py).
"""

import logging
from collections.abc import Iterable, Iterator

import pydantic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from newswire.errors import KafkaUnavailableError
from newswire.kafka.clients import make_producer
from newswire.kafka.serde import header
from newswire.kafka.snapshot import read_topic_to_end
from newswire.settings import KafkaSettings
from services.ingest.feeds import FeedConfig

log = logging.getLogger(__name__)


class FeedEntryError(ValueError):
    """A record of the feed-list topic that is not a feed: written by something else."""


def decode_entry(record: ConsumerRecord) -> tuple[str, FeedConfig | None]:
    """The feed URL of a record and its configuration; None for a tombstone (feed removed)."""
    if record.key is None:
        raise FeedEntryError("a record without a key")
    url = bytes(record.key).decode("utf-8", errors="replace")
    if record.value is None:
        return url, None
    schema = header(record.headers, "schema")
    if schema != FeedConfig.SCHEMA:
        raise FeedEntryError(f"{url}: schema {schema!r}, expected {FeedConfig.SCHEMA!r}")
    try:
        feed = FeedConfig.model_validate_json(record.value)
    except pydantic.ValidationError as exc:
        raise FeedEntryError(f"{url}: {exc.errors()[0]['msg']}") from exc
    if feed.url != url:
        raise FeedEntryError(f"{url}: the entry is for {feed.url}")
    return url, feed


def entries(records: Iterable[ConsumerRecord]) -> Iterator[tuple[str, FeedConfig | None]]:
    """`decode_entry` of each record; one that is not a feed is logged and skipped."""
    for record in records:
        try:
            yield decode_entry(record)
        except FeedEntryError as exc:
            log.error("feed-list record skipped", extra={"error": str(exc)})


def published_list(kafka: KafkaSettings, topic: str, timeout: float) -> dict[str, FeedConfig]:
    """The feeds the topic lists now, by URL."""
    feeds: dict[str, FeedConfig] = {}
    for url, feed in entries(read_topic_to_end(kafka, topic, timeout)):
        if feed is None:
            feeds.pop(url, None)
        else:
            feeds[url] = feed
    return feeds


def publish_list(kafka: KafkaSettings, topic: str, feeds: list[FeedConfig], timeout: float) -> int:
    """Makes the topic list exactly `feeds`; returns how many records that took."""
    current = published_list(kafka, topic, timeout)
    wanted = {feed.url: feed for feed in feeds}
    changes: list[tuple[str, FeedConfig | None]] = [
        (url, feed) for url, feed in wanted.items() if current.get(url) != feed
    ]
    changes += [(url, None) for url in current.keys() - wanted.keys()]
    if not changes:
        return 0
    producer = make_producer(kafka, "newswire-ingest-feeds")
    try:
        futures = [producer.send(topic, key=url.encode(), value=feed) for url, feed in changes]
        producer.flush(timeout=timeout)
        for future in futures:
            future.get(timeout=0)
    except KafkaError as exc:
        raise KafkaUnavailableError(f"feed list not written to {topic}: {exc!r}") from exc
    finally:
        producer.close(timeout=timeout)
    log.info(
        "feed list published",
        extra={"topic": topic, "feeds": len(wanted), "changed": len(changes)},
    )
    return len(changes)

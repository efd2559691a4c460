"""The simplest downstream consumer of newswire: an iterator of validated articles.

    from newswire.client import subscribe

    for article in subscribe(from_beginning=True, follow=False):
        print(article.id, article.title, [entity.name for entity in article.entities])

Records are read with `isolation_level=read_committed`, so only enrichments whose transaction
committed are seen, and each is validated into `model` (`EnrichedArticle` by default). A record
that is not one (another `schema` header, not UTF-8 JSON, the wrong shape) is skipped with a
warning on the `newswire.client` logger: one bad record never stops a consumer.

Without `group_id` the iterator reads every partition itself and remembers nothing between runs.
With one, it joins that consumer group: the group's members share the partitions, and an article's
offset is committed once the loop body has finished with it and asked for the next (at least once:
an article whose handling was interrupted is delivered again). A new group starts at the newest
record, or at the oldest with `from_beginning`; a known group resumes where it stopped.
"""

import logging
import threading
import time
from collections.abc import Generator
from typing import TypeVar, overload

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from newswire.errors import ConfigError, DecodeError
from newswire.kafka.clients import make_consumer
from newswire.kafka.serde import decode_article, header
from newswire.settings import KafkaSettings, TopicSettings
from newswire.tail import Ends, open_tail, records, topic_partitions
from schemas import EnrichedArticle, RawArticle

__all__ = ["subscribe"]

log = logging.getLogger(__name__)
ArticleT = TypeVar("ArticleT", bound=RawArticle)

CLIENT_ID = "newswire-client"
COMMIT_INTERVAL = 5.0


@overload
def subscribe(
    topic: str | None = None,
    *,
    group_id: str | None = None,
    from_beginning: bool = False,
    follow: bool = True,
    bootstrap_servers: str | None = None,
) -> Generator[EnrichedArticle, None, None]: ...


@overload
def subscribe(
    topic: str | None = None,
    *,
    group_id: str | None = None,
    from_beginning: bool = False,
    follow: bool = True,
    bootstrap_servers: str | None = None,
    model: type[ArticleT],
) -> Generator[ArticleT, None, None]: ...


def subscribe(
    topic: str | None = None,
    *,
    group_id: str | None = None,
    from_beginning: bool = False,
    follow: bool = True,
    bootstrap_servers: str | None = None,
    model: type[RawArticle] = EnrichedArticle,
) -> Generator[RawArticle, None, None]:
    """Articles of `topic` as they arrive, validated into `model`; `close()` it to stop early.

    topic: default `NEWSWIRE_TOPIC_ENRICHED`, else `news.articles.enriched`.
    group_id: join this consumer group and commit progress; None reads alone and commits nothing.
    from_beginning: start at the oldest record rather than the newest (a known group resumes).
    follow: keep waiting for new records (and for the topic, if it does not exist yet); False
        ends the iteration once everything is read, and a missing topic is a `ConfigError`.
    bootstrap_servers: default `KAFKA_BOOTSTRAP_SERVERS` (with the other `KAFKA_*` settings).
    model: `EnrichedArticle`, or `RawArticle` for the raw topic.
    """
    kafka = (
        KafkaSettings()
        if bootstrap_servers is None
        else KafkaSettings(bootstrap_servers=bootstrap_servers)
    )
    chosen = topic or TopicSettings().enriched
    # Following, a topic not created yet is waited for, as long as it takes.
    wait_until = threading.Event() if follow else None
    if group_id is None:
        consumer = open_tail(kafka, [chosen], from_beginning, wait_until)
        commits = None
    else:
        consumer = _join(kafka, chosen, group_id, from_beginning, wait_until)
        commits = _Commits(consumer)
    ends = Ends()
    try:
        for record in records(consumer, threading.Event()):
            if record is None:
                if commits is not None:
                    commits.commit(now=True)
                if not follow and consumer.assignment() and ends.reached(consumer):
                    return
                continue
            article = _validated(record, model)
            if article is not None:
                yield article  # the caller handles it before it asks for the next one
            if commits is not None:
                commits.done(record)
                commits.commit()
    finally:
        if commits is not None:
            commits.commit(now=True)
        consumer.close()


def _join(
    kafka: KafkaSettings,
    topic: str,
    group_id: str,
    from_beginning: bool,
    wait_until: threading.Event | None,
) -> KafkaConsumer:
    consumer = make_consumer(kafka, CLIENT_ID, group_id)
    try:
        numbers = topic_partitions(consumer, topic, wait_until)
    except ConfigError:
        consumer.close()
        raise
    partitions = [TopicPartition(topic, number) for number in numbers]
    if not from_beginning and all(consumer.committed(tp) is None for tp in partitions):
        # The consumer starts where its group's committed offsets say, else at the oldest record;
        # a new group that wants only new records gets the current ends committed before it joins.
        ends = consumer.end_offsets(partitions)
        try:
            consumer.commit({tp: OffsetAndMetadata(end, "") for tp, end in ends.items()})
        except KafkaError as exc:  # another member of the new group joined first, and started it
            log.info("group %s is already started: %r", group_id, exc)
    consumer.subscribe([topic])
    return consumer


def _validated(record: ConsumerRecord, model: type[ArticleT]) -> ArticleT | None:
    """The article a record holds, or None (and a warning) when it holds none."""
    schema = header(record.headers, "schema")
    try:
        if schema is not None and schema != model.SCHEMA:
            raise DecodeError("unsupported_schema", f"{schema!r}, expected {model.SCHEMA!r}")
        return decode_article(record.value, model)
    except DecodeError as exc:
        log.warning(
            "skipped %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            exc,
            extra={"reason": exc.reason},
        )
        return None


class _Commits:
    """The offsets of the records the caller has finished with, committed every few seconds."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer
        self._pending: dict[TopicPartition, OffsetAndMetadata] = {}
        self._next = time.monotonic() + COMMIT_INTERVAL

    def done(self, record: ConsumerRecord) -> None:
        partition = TopicPartition(record.topic, record.partition)
        self._pending[partition] = OffsetAndMetadata(record.offset + 1, "")

    def commit(self, now: bool = False) -> None:
        if not self._pending or (not now and time.monotonic() < self._next):
            return
        # A partition that moved to another member during a rebalance is that member's to commit.
        owned = self._consumer.assignment()
        offsets = {tp: offset for tp, offset in self._pending.items() if tp in owned}
        self._pending = {}
        self._next = time.monotonic() + COMMIT_INTERVAL
        if not offsets:
            return
        try:
            self._consumer.commit(offsets)
        except KafkaError as exc:
            log.warning("offsets not committed; those articles may come again: %r", exc)

"""Per-feed state, kept in the compacted state topic: the service itself holds none on disk.

One record per feed, keyed by the feed's URL as configured (a URL the feed moved to is a field,
not the key, so the key never changes). Compaction keeps the latest record of each feed. Keying by
feed URL with Kafka's default partitioner puts a feed's state in the partition a future feed-list
topic keyed the same way would give it, so replicas that split the feeds can read only theirs.

A state record is written in the same transaction as the articles its poll published; reading
the topic to its end with `read_committed` gives exactly the state that covers what was published.
"""

import base64
import logging
import time
from datetime import datetime
from typing import Annotated, ClassVar

import pydantic
from kafka import TopicPartition
from kafka.errors import KafkaError
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from newswire.errors import KafkaUnavailableError
from newswire.kafka.clients import make_consumer
from newswire.kafka.serde import header
from newswire.settings import KafkaSettings
from services.ingest.fetch import FeedValidators

log = logging.getLogger(__name__)


def _from_base64(value: object) -> object:
    """JSON carries the packed windows as base64 text; Python code passes the bytes themselves."""
    return base64.b64decode(value, validate=True) if isinstance(value, str) else value


def _to_base64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PackedBytes = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(_to_base64, return_type=str, when_used="json"),
]


class FeedState(BaseModel):
    """`newswire.ingest.feed_state/1`: what ingest knows about one feed between polls."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    SCHEMA: ClassVar[str] = "newswire.ingest.feed_state/1"

    url: str = Field(description="The feed's URL as configured: the record's key.")
    moved_to: str | None = Field(default=None, description="Where a 301 or 308 moved the feed.")
    validators: FeedValidators = FeedValidators()
    next_poll_at: AwareDatetime | None = None
    error_streak: int = Field(default=0, ge=0, description="Failed polls in a row.")
    last_error: str | None = Field(default=None, description="The reason of the last failure.")
    last_success_at: AwareDatetime | None = None
    interval_hint: float | None = Field(
        default=None, description="Seconds: the feed's <ttl> or publishing rhythm when last read."
    )
    seen: PackedBytes = Field(default=b"", description="The feed's `SeenWindow`, packed.")
    articles: PackedBytes = Field(default=b"", description="The feed's `ArticleLog`, packed.")

    @property
    def poll_url(self) -> str:
        return self.moved_to or self.url

    @property
    def healthy(self) -> bool | None:
        """Whether the last poll succeeded; None before the first poll."""
        if self.error_streak:
            return False
        return True if self.last_success_at else None

    def due_at(self, now: datetime) -> float:
        """When the feed is next due, as Unix time; now if it never was polled."""
        return (self.next_poll_at or now).timestamp()


class StateStore:
    """Reads the state topic back: all of it at start-up, and again after a failed transaction."""

    def __init__(self, kafka: KafkaSettings, topic: str, timeout: float) -> None:
        self._topic = topic
        self._timeout = timeout
        self._consumer = make_consumer(kafka, "newswire-ingest-state", group_id=None)
        try:
            partitions = self._consumer.partitions_for_topic(topic) or set()
        except KafkaError as exc:
            self._consumer.close()
            raise KafkaUnavailableError(f"cannot read {topic}: {exc!r}") from exc
        if not partitions:
            self._consumer.close()
            raise KafkaUnavailableError(f"topic {topic} has no partitions yet")
        self._partitions = [TopicPartition(topic, partition) for partition in sorted(partitions)]
        self._consumer.assign(self._partitions)

    def close(self) -> None:
        self._consumer.close()

    def restore(self) -> dict[str, FeedState]:
        """The latest committed state of every feed the topic knows, by configured URL.

        Reads up to the end as it is when called: with `read_committed`, that end is the last
        stable offset, so no transaction still open can hide a record behind it.
        """
        try:
            ends = self._consumer.end_offsets(self._partitions, timeout_ms=self._timeout_ms)
            self._consumer.seek_to_beginning(*self._partitions)
            states: dict[str, FeedState] = {}
            deadline = time.monotonic() + self._timeout
            while not self._caught_up(ends):
                if time.monotonic() > deadline:
                    raise KafkaUnavailableError(f"{self._topic} not read within {self._timeout}s")
                for batch in self._consumer.poll(timeout_ms=200).values():
                    for record in batch:
                        _apply(states, record.key, record.value, record.headers)
                    deadline = time.monotonic() + self._timeout  # progress: keep going
        except KafkaError as exc:
            raise KafkaUnavailableError(f"cannot read {self._topic}: {exc!r}") from exc
        log.info("feed state restored", extra={"topic": self._topic, "feeds": len(states)})
        return states

    def probe(self) -> None:
        """A cheap round trip to the broker; raises `KafkaUnavailableError` when it fails."""
        try:
            self._consumer.end_offsets(self._partitions, timeout_ms=5_000)
        except KafkaError as exc:
            raise KafkaUnavailableError(f"Kafka does not answer: {exc!r}") from exc

    @property
    def _timeout_ms(self) -> int:
        return int(self._timeout * 1000)

    def _caught_up(self, ends: dict[TopicPartition, int]) -> bool:
        return all(
            self._consumer.position(partition, timeout_ms=self._timeout_ms) >= end
            for partition, end in ends.items()
        )


def _apply(
    states: dict[str, FeedState],
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes]] | None,
) -> None:
    if key is None:
        return
    url = key.decode("utf-8", errors="replace")
    if value is None:
        states.pop(url, None)  # a tombstone: the feed's state was deleted on purpose
        return
    schema = header(headers, "schema")
    try:
        if schema != FeedState.SCHEMA:
            raise ValueError(f"schema {schema!r}, expected {FeedState.SCHEMA!r}")
        states[url] = FeedState.model_validate_json(value)
    except (pydantic.ValidationError, ValueError) as exc:
        # The feed keeps its earlier state, if any, else starts afresh: its latest items may be
        # published again, but it keeps being polled.
        log.error("unreadable feed state skipped", extra={"feed": url, "error": str(exc)[:300]})

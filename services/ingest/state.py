"""Per-feed state, kept in the compacted state topic: the service itself holds none on disk.

One record per feed, keyed by the feed's URL as configured (a URL the feed moved to is a field,
not the key, so the key never changes). Compaction keeps the latest record of each feed. Keying by
feed URL with Kafka's default partitioner puts a feed's state in the partition of the same
number as its entry in the feed-list topic (ownership.py), which has as many partitions: a
replica reads back only the states of the feeds it owns.

A state record is written in the same transaction as the articles its poll published; reading
the topic to its end with `read_committed` gives exactly the state that covers what was published.
The end is the high watermark, not the last stable offset: a transaction still open on a
partition a replica was just given comes from its previous owner (killed, or late to let go), and
may yet commit. Reading only up to it would leave out what the previous owner committed after it,
and ingest would publish those articles again; so a restore waits until the broker has committed
or aborted it (aborting takes the producer's transaction timeout, 10 s, at most).
"""

import base64
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, ClassVar

import pydantic
from kafka import TopicPartition
from kafka.errors import KafkaError
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from newswire.errors import KafkaUnavailableError
from newswire.kafka.clients import make_consumer, partitions_of
from newswire.kafka.serde import header
from newswire.kafka.snapshot import read_to_end
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
    """Reads the state topic back: the partitions of the feeds this replica owns, when it is
    given them and again after a failed transaction."""

    def __init__(self, kafka: KafkaSettings, topic: str, timeout: float) -> None:
        self._topic = topic
        self._timeout = timeout
        self._consumer = make_consumer(kafka, "newswire-ingest-state", group_id=None)
        try:
            self._watermarks = make_consumer(
                kafka, "newswire-ingest-state", group_id=None, isolation_level="read_uncommitted"
            )
        except KafkaUnavailableError:
            self._consumer.close()
            raise
        try:
            self._partitions = partitions_of(self._consumer, topic)
        except KafkaUnavailableError:
            self.close()
            raise

    def close(self) -> None:
        self._consumer.close()
        self._watermarks.close()

    @property
    def partition_count(self) -> int:
        return len(self._partitions)

    def restore(self, partitions: Iterable[int]) -> dict[str, FeedState]:
        """The latest committed state of every feed in `partitions`, by configured URL."""
        wanted = [TopicPartition(self._topic, number) for number in sorted(partitions)]
        ends = self._high_watermarks(wanted)
        states: dict[str, FeedState] = {}
        for record in read_to_end(self._consumer, wanted, self._timeout, ends):
            _apply(states, record.key, record.value, record.headers)
        log.info(
            "feed state restored",
            extra={"topic": self._topic, "partitions": len(wanted), "feeds": len(states)},
        )
        return states

    def _high_watermarks(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """Where `partitions` end, records of transactions still open included."""
        if not partitions:
            return {}
        try:
            ends: dict[TopicPartition, int] = self._watermarks.end_offsets(
                partitions, timeout_ms=int(self._timeout * 1000)
            )
        except KafkaError as exc:
            raise KafkaUnavailableError(f"cannot read {self._topic}: {exc!r}") from exc
        return ends

    def probe(self) -> None:
        """A cheap round trip to the broker; raises `KafkaUnavailableError` when it fails."""
        try:
            self._consumer.end_offsets(self._partitions, timeout_ms=5_000)
        except KafkaError as exc:
            raise KafkaUnavailableError(f"Kafka does not answer: {exc!r}") from exc


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

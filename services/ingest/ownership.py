"""Which feeds this replica polls: the feed-list partitions that its consumer group gives it.

Every ingest replica consumes the feed-list topic (catalog.py) in one consumer group, so Kafka's
own group protocol splits the feeds: a replica that joins takes a share, one that dies loses its
partitions to the others once the session timeout has passed. The state topic has as many
partitions and the same keys, so a feed's state is in the partition of the same number as its
entry: a replica restores exactly the states of the feeds it is given.

kafka-python calls the rebalance listener on the consumer's I/O thread, where no blocking
consumer call may be made. So the consumer lives in a thread of its own and only hands events
to the service loop through a queue: partitions assigned, feed entries, partitions read up to
their end, partitions revoked. A revocation waits (for `revoke_timeout` at most) until the loop
has finished and committed the polls in flight, so that no feed is polled by two replicas at
once. Every transaction the loop commits carries the generation of the assignment the loop acts
on (`fence`): once the group has moved on (a revocation that outlasted its wait, or a replica that
lost its partitions without knowing it yet), the broker refuses the transaction.
"""

import logging
import queue
import threading
import time
from dataclasses import dataclass
from itertools import groupby

from kafka import ConsumerGroupMetadata, OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError

from newswire.errors import ConfigError, KafkaUnavailableError
from newswire.kafka.clients import make_consumer, partitions_of, subscribe
from newswire.kafka.unreadable import readable_records
from newswire.settings import KafkaSettings
from services.ingest.catalog import entries
from services.ingest.feeds import FeedConfig
from services.ingest.publish import Fence

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 500
ANSWER_TIMEOUT_MS = 5_000
CLOSE_TIMEOUT = 3.0  # seconds: leaving the group must fit in a 10 s shutdown


@dataclass(frozen=True, slots=True)
class Assigned:
    """These partitions are this replica's now, in the group's generation `group`; their
    entries follow."""

    partitions: frozenset[int]
    group: ConsumerGroupMetadata


@dataclass(frozen=True, slots=True)
class Entry:
    """A feed of an owned partition, added or changed; `feed` None: removed from the list."""

    partition: int
    url: str
    feed: FeedConfig | None


@dataclass(frozen=True, slots=True)
class Loaded:
    """Every entry these partitions held when they were assigned has been handed over."""

    partitions: frozenset[int]


@dataclass(frozen=True, slots=True)
class Revoked:
    """These partitions are being taken away: set `released` once none of their feeds is
    polled any more and what their polls found is committed. At `deadline` (monotonic clock)
    the group stops waiting and moves on."""

    partitions: frozenset[int]
    released: threading.Event
    deadline: float


Event = Assigned | Entry | Loaded | Revoked


@dataclass(frozen=True)
class GroupConfig:
    """How a replica takes part in the group that splits the feeds."""

    topic: str
    group_id: str
    session_timeout: float
    heartbeat_interval: float
    revoke_timeout: float


def check_co_partitioned(kafka: KafkaSettings, feeds_topic: str, state_topic: str) -> None:
    """Raises `ConfigError` unless both topics have as many partitions: a feed's entry and its
    state must land in partitions of the same number (Kafka's partitioner hashes the key)."""
    consumer = make_consumer(kafka, "newswire-ingest-check", group_id=None)
    try:
        counts = {
            topic: len(partitions_of(consumer, topic)) for topic in (feeds_topic, state_topic)
        }
    finally:
        consumer.close()
    if counts[feeds_topic] != counts[state_topic]:
        raise ConfigError(
            f"{feeds_topic} has {counts[feeds_topic]} partitions and {state_topic} has "
            f"{counts[state_topic]}; they must have as many (add partitions to the smaller "
            "one, then restart every ingest replica)"
        )


class FeedOwnership:
    """The feed-list consumer: a thread that turns group membership into `Event`s."""

    def __init__(self, kafka: KafkaSettings, group: GroupConfig) -> None:
        self._group = group
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._positions: dict[int, int] = {}  # owned partition -> next offset to read
        self._loading: dict[int, int | None] = {}  # partition -> its end when assigned
        self._closing = threading.Event()
        self._consumer = make_consumer(
            kafka,
            "newswire-ingest-feeds",
            group.group_id,
            session_timeout_ms=int(group.session_timeout * 1000),
            heartbeat_interval_ms=int(group.heartbeat_interval * 1000),
        )
        try:
            subscribe(self._consumer, group.topic, _Listener(self))
        except KafkaUnavailableError:
            self._consumer.close()
            raise
        self._thread = threading.Thread(target=self._run, name="feed-ownership", daemon=True)
        self._thread.start()

    def events(self) -> list[Event]:
        """What happened since the last call, in order; never blocks."""
        found: list[Event] = []
        while True:
            try:
                found.append(self._events.get_nowait())
            except queue.Empty:
                return found

    def fence(self, group: ConsumerGroupMetadata) -> Fence:
        """The offsets a transaction carries, as the member of generation `group` (that of the
        assignment its polls were made for): the broker refuses them, and so the transaction,
        once the group has moved on. Raises `KafkaUnavailableError` while not a member."""
        with self._lock:
            positions = dict(self._positions)
        if group.generation_id < 0 or not group.member_id or not positions:
            raise KafkaUnavailableError("not a member of the feed group now (rebalancing)")
        offsets = {
            self._partition(number): OffsetAndMetadata(offset, "", -1)
            for number, offset in positions.items()
        }
        return offsets, group

    def close(self) -> None:
        """Leaves the group, so that the others take the feeds over at once."""
        self._closing.set()
        self._thread.join(timeout=CLOSE_TIMEOUT)
        try:
            self._consumer.close(timeout_ms=int(CLOSE_TIMEOUT * 1000))
        except KafkaError as exc:
            log.warning("feed-list consumer not closed cleanly", extra={"error": repr(exc)})

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                polled = readable_records(self._consumer, timeout_ms=POLL_TIMEOUT_MS)
                for partition, records in groupby(polled, lambda record: record.partition):
                    self._hand_over(partition, list(records))
                self._check_loaded()
            except KafkaError as exc:
                log.warning("feed-list consumer failed; retrying", extra={"error": repr(exc)})
                self._closing.wait(1.0)

    def _hand_over(self, partition: int, records: list[ConsumerRecord]) -> None:
        for url, feed in entries(records):
            self._events.put(Entry(partition, url, feed))
        with self._lock:
            if partition in self._positions:
                self._positions[partition] = records[-1].offset + 1

    def _check_loaded(self) -> None:
        with self._lock:
            loading = dict(self._loading)
        if not loading:
            return
        unknown = [self._partition(number) for number, end in loading.items() if end is None]
        if unknown:
            for partition, end in self._consumer.end_offsets(unknown, ANSWER_TIMEOUT_MS).items():
                loading[partition.partition] = end
        done = frozenset(
            number
            for number, end in loading.items()
            if self._consumer.position(self._partition(number), ANSWER_TIMEOUT_MS) >= (end or 0)
        )
        with self._lock:
            for number, end in loading.items():
                if number in self._loading:  # not revoked meanwhile
                    self._loading[number] = end
            for number in done & self._loading.keys():
                del self._loading[number]
        if done:
            self._events.put(Loaded(done))

    def _partition(self, number: int) -> TopicPartition:
        return TopicPartition(self._group.topic, number)

    def _assigned(self, partitions: set[TopicPartition]) -> None:
        numbers = frozenset(tp.partition for tp in partitions)
        with self._lock:
            for number in numbers:
                self._positions[number] = 0
                self._loading[number] = None
        if partitions:
            # The offsets transactions commit only fence; a new owner reads the whole list.
            self._consumer.seek_to_beginning(*partitions)
        self._events.put(Assigned(numbers, self._consumer.group_metadata()))

    def _revoked(self, partitions: set[TopicPartition]) -> None:
        numbers = frozenset(tp.partition for tp in partitions)
        if not numbers:
            return
        released = threading.Event()
        self._events.put(Revoked(numbers, released, time.monotonic() + self._group.revoke_timeout))
        if not self._closing.is_set() and not released.wait(self._group.revoke_timeout):
            log.warning(
                "feeds handed over before their polls finished",
                extra={"partitions": sorted(numbers), "waited_s": self._group.revoke_timeout},
            )
        with self._lock:
            for number in numbers:
                self._positions.pop(number, None)
                self._loading.pop(number, None)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]  # kafka-python has no types
    """Runs on the consumer's I/O thread: hands over, never calls blocking consumer methods."""

    def __init__(self, ownership: FeedOwnership) -> None:
        self._ownership = ownership

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._ownership._revoked(revoked)

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._ownership._assigned(assigned)

"""Writes to Kafka in transactions: the articles of a batch of polls with the feed states that
cover them, or a pass of seeds. `read_committed` consumers see a transaction whole or not at all.

kafka-python's `commit_transaction` waits without a timeout, and for good if the broker went away.
So each transaction runs in a daemon thread that the caller waits on for `timeout` at most. A
transaction that failed or outlasted that leaves its producer in a state nobody can know, so the
producer is thrown away (closed in the background) and the write raises. `open()` then starts a
new producer with the same transactional id: that fences the old one, and the broker completes or
aborts its transaction before `open()` returns. Which of the two happened, the caller learns by
reading the state topic back.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kafka import ConsumerGroupMetadata, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.errors import (
    CorruptRecordError,
    InvalidProducerEpochError,
    InvalidRecordError,
    KafkaError,
    MessageSizeTooLargeError,
    ProducerFencedError,
    RecordListTooLargeError,
)

from newswire.errors import FencedError, KafkaUnavailableError, RecordsRejectedError
from newswire.kafka.clients import make_producer
from newswire.kafka.serde import SchemaRecord
from newswire.settings import KafkaSettings

log = logging.getLogger(__name__)

# A producer thrown away may hold batches for the broker that went away; its close waits until
# they expire (kafka-python's delivery timeout, 120 s), so that its I/O thread ends too.
_DISCARD_TIMEOUT = 130.0
# After a stop request a transaction in flight gets this long to finish before the process exits.
_STOP_GRACE = 5.0
# Errors about a record itself: sending it again can never succeed.
_REJECTED = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    InvalidRecordError,
    CorruptRecordError,
)


# Consumer-group offsets and the membership they are committed as, which the broker checks.
Fence = tuple[dict[TopicPartition, OffsetAndMetadata], ConsumerGroupMetadata]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record of a transaction."""

    topic: str
    key: bytes
    value: SchemaRecord


class Transactions:
    """The ingest service's transactional producer: each `write` is one Kafka transaction."""

    def __init__(
        self,
        kafka: KafkaSettings,
        transactional_id: str,
        timeout: float,
        stop: threading.Event,
    ) -> None:
        self._kafka = kafka
        self._transactional_id = transactional_id
        self._timeout = timeout
        self._stop = stop
        self._producer: KafkaProducer | None = None

    def __enter__(self) -> "Transactions":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        """A new producer, ready for transactions; any earlier one with the id is fenced and its
        open transaction completed or aborted. Raises `KafkaUnavailableError` (retriable)."""
        self._discard()
        producer = make_producer(self._kafka, "newswire-ingest", self._transactional_id)
        try:
            self._wait(producer.init_transactions, "initialise transactions")
        except (KafkaError, KafkaUnavailableError) as exc:
            _close_in_background(producer)
            raise KafkaUnavailableError(f"cannot start transactions: {exc!r}") from exc
        self._producer = producer
        log.info("transactions ready", extra={"transactional_id": self._transactional_id})

    def write(
        self,
        records: Sequence[Outgoing],
        one_by_one: bool = False,
        fence: Callable[[], Fence] | None = None,
    ) -> None:
        """Commits `records` in one transaction, or raises with nothing of them visible.

        `one_by_one` sends each record in a request of its own: slower, but when Kafka refuses
        a request it then names exactly the record at fault, not every record batched with it.
        `fence` gives consumer-group offsets to commit with the records: the broker refuses the
        transaction if that consumer is no longer the group member it was (KIP-447).

        `KafkaUnavailableError`: call `open()` again, then re-read what was committed.
        `RecordsRejectedError`: call `open()` again, then write the records it did not name.
        `FencedError`: another process took over the transactional id; this one must stop.
        """
        producer = self._producer
        if producer is None:
            raise KafkaUnavailableError("no producer: transactions are not open")
        try:
            self._wait(
                lambda: self._transaction(producer, records, one_by_one, fence),
                "commit a transaction",
            )
        except RecordsRejectedError:
            self._discard()  # its transaction can only be aborted
            raise
        except (ProducerFencedError, InvalidProducerEpochError) as exc:
            self._discard()
            raise FencedError(
                f"another process took over transactional id {self._transactional_id!r}"
            ) from exc
        except (KafkaError, KafkaUnavailableError) as exc:
            self._discard()
            raise KafkaUnavailableError(f"transaction not committed: {exc!r}") from exc

    def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=5)
            except KafkaError as exc:
                log.warning("producer not closed cleanly", extra={"error": repr(exc)})

    def _transaction(
        self,
        producer: KafkaProducer,
        records: Sequence[Outgoing],
        one_by_one: bool,
        fence: Callable[[], Fence] | None,
    ) -> None:
        producer.begin_transaction()
        rejected: dict[int, KafkaError] = {}
        futures = {}
        for index, record in enumerate(records):
            try:
                future = producer.send(record.topic, key=record.key, value=record.value)
            except _REJECTED as exc:  # larger than the producer may send at all
                rejected[index] = exc
                continue
            futures[index] = future
            if one_by_one:
                producer.flush(timeout=self._timeout)
                try:
                    future.get(timeout=0)
                except _REJECTED as exc:  # later sends would fail with it: stop at this one
                    raise RecordsRejectedError([index], repr(exc)) from exc
        producer.flush(timeout=self._timeout)
        failures: list[KafkaError] = []
        for index, future in futures.items():
            try:
                future.get(timeout=0)
            except _REJECTED as exc:
                rejected[index] = exc
            except KafkaError as exc:
                failures.append(exc)
        if rejected:
            raise RecordsRejectedError(sorted(rejected), repr(next(iter(rejected.values()))))
        if failures:
            raise failures[0]  # the first record Kafka refused fails the transaction
        if fence is not None:
            producer.send_offsets_to_transaction(*fence())
        producer.commit_transaction()

    def _wait(self, action: Callable[[], object], what: str) -> None:
        """Runs `action` in a daemon thread and waits for it, `timeout` at most (less after a
        stop request); re-raises what it raised."""
        done = threading.Event()
        failures: list[BaseException] = []

        def run() -> None:
            try:
                action()
            except BaseException as exc:  # handed to the waiting thread, which re-raises it
                failures.append(exc)
            finally:
                done.set()

        threading.Thread(target=run, name="kafka-transaction", daemon=True).start()
        deadline = time.monotonic() + self._timeout
        while not done.wait(0.1):
            if self._stop.is_set():
                deadline = min(deadline, time.monotonic() + _STOP_GRACE)
            if time.monotonic() > deadline:
                raise KafkaUnavailableError(f"Kafka did not {what} in time")
        if failures:
            raise failures[0]

    def _discard(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            _close_in_background(producer)


def _close_in_background(producer: KafkaProducer) -> None:
    def close() -> None:
        try:
            producer.close(timeout=_DISCARD_TIMEOUT)
        except Exception as exc:  # a producer thrown away may fail in any way; it is gone anyway
            log.debug("discarded producer closed with an error", extra={"error": repr(exc)})

    threading.Thread(target=close, name="kafka-discard", daemon=True).start()

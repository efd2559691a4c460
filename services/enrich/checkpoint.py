"""How a batch's output and its consumed offsets become durable: together, or not at all.

`TransactionalCheckpoint` (exactly-once, the default) writes the enriched records, the dead
letters and the consumed offsets in one Kafka transaction (KIP-447: the offsets carry the
consumer's group metadata, so a member that lost its partitions cannot commit them).
`AtLeastOnceCheckpoint` waits for every record to be acknowledged, then commits the offsets: a
crash in between re-enriches the batch, never loses it.

A checkpoint owns its producer and bounds every wait: by `timeout`, or `close_timeout` for each
step of closing (aborting an open transaction, closing the producer). kafka-python 3.0.12 waits
without limit in `send_offsets_to_transaction`, `commit_transaction` and `abort_transaction`
(the Java client stops at max.block.ms), so those calls run on a helper thread that is left
behind if Kafka does not answer in time. Any failure raises `CheckpointError`; the caller then
closes the checkpoint, opens a new one, and resumes from the committed offsets, because a
commit that timed out may still have gone through.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import (
    CommitFailedError,
    FencedInstanceIdError,
    IllegalGenerationError,
    InvalidProducerEpochError,
    KafkaError,
    KafkaTimeoutError,
    ProducerFencedError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from kafka.structs import OffsetAndMetadata

from newswire.errors import CheckpointError
from newswire.kafka.clients import make_producer
from services.enrich.settings import EnrichSettings

log = logging.getLogger(__name__)

Offsets = dict[TopicPartition, OffsetAndMetadata]
CLIENT_ID = "newswire-enrich"

_REBALANCE = (
    CommitFailedError,
    IllegalGenerationError,
    UnknownMemberIdError,
    RebalanceInProgressError,
    FencedInstanceIdError,
)
_FENCED = (ProducerFencedError, InvalidProducerEpochError)


class Checkpoint(Protocol):
    @property
    def producer(self) -> KafkaProducer:
        """Where the batch's records are sent, between `begin` and `commit`."""

    def begin(self) -> None:
        """Called before the batch's first record is produced."""

    def commit(self, offsets: Offsets, sent: list[Any]) -> None:
        """Makes the batch's records (`sent` futures) and `offsets` durable, or raises."""

    def close(self) -> None:
        """Discards an uncommitted batch where that is possible, then closes the producer."""


def open_checkpoint(
    settings: EnrichSettings, consumer: KafkaConsumer, transactional_id: str | None
) -> Checkpoint:
    """A checkpoint with a new producer, for the delivery the settings ask for.

    Reusing `transactional_id` fences the producer of a checkpoint that failed, and aborts any
    transaction it left open, instead of waiting for the broker to time that transaction out.
    """
    timeout, close_timeout = settings.commit_timeout, settings.close_timeout
    producer = make_producer(
        settings.kafka,
        CLIENT_ID,
        transactional_id,
        max_block_ms=int(timeout * 1000),
        bootstrap_timeout_ms=int(timeout * 1000),
        # kafka-python's sender waits this long for each step of a transaction: at the
        # default 100 ms a commit costs about 140 ms here, at 20 ms about 40 ms.
        retry_backoff_ms=20,
    )
    if settings.delivery == "at_least_once":
        return AtLeastOnceCheckpoint(producer, consumer, timeout, close_timeout)
    try:
        return TransactionalCheckpoint(producer, consumer, timeout, close_timeout)
    except CheckpointError:
        _close_producer(producer, close_timeout)
        raise


class AtLeastOnceCheckpoint:
    def __init__(
        self,
        producer: KafkaProducer,
        consumer: KafkaConsumer,
        timeout: float,
        close_timeout: float,
    ) -> None:
        self._producer = producer
        self._consumer = consumer
        self._timeout = timeout
        self._close_timeout = close_timeout

    @property
    def producer(self) -> KafkaProducer:
        return self._producer

    def begin(self) -> None:
        """Nothing to open: records are sent as they come."""

    def commit(self, offsets: Offsets, sent: list[Any]) -> None:
        try:
            self._producer.flush(timeout=self._timeout)
            for future in sent:
                future.get(timeout=0)
            self._consumer.commit(offsets, timeout_ms=int(self._timeout * 1000))
        except KafkaError as exc:
            raise checkpoint_failure("commit the offsets", exc) from exc

    def close(self) -> None:
        """Records already sent stay; the batch is enriched again (at-least-once)."""
        _close_producer(self._producer, self._close_timeout)


class TransactionalCheckpoint:
    def __init__(
        self,
        producer: KafkaProducer,
        consumer: KafkaConsumer,
        timeout: float,
        close_timeout: float,
    ) -> None:
        self._producer = producer
        self._consumer = consumer
        self._timeout = timeout
        self._close_timeout = close_timeout
        self._open = False
        try:
            producer.init_transactions()  # bounded by the producer's max_block_ms
        except KafkaError as exc:
            raise checkpoint_failure("initialise transactions", exc) from exc

    @property
    def producer(self) -> KafkaProducer:
        return self._producer

    def begin(self) -> None:
        try:
            self._producer.begin_transaction()
        except KafkaError as exc:
            raise checkpoint_failure("begin a transaction", exc) from exc
        self._open = True

    def commit(self, offsets: Offsets, sent: list[Any]) -> None:
        """Adds `offsets` to the transaction and commits it; `sent` is flushed by the commit."""
        group = self._consumer.group_metadata()
        if group.generation_id < 0 or not group.member_id:
            # The broker takes offsets without a generation unfenced (for old clients), so a
            # member that left its group (or was removed) must not send them at all.
            raise CheckpointError("rebalance", "the consumer is no longer a member of its group")

        def finish() -> None:
            self._producer.send_offsets_to_transaction(offsets, group)
            self._producer.commit_transaction()

        try:
            _within(self._timeout, "commit", finish)
        except KafkaError as exc:
            raise checkpoint_failure("commit the transaction", exc) from exc
        self._open = False

    def close(self) -> None:
        if self._open:
            self._open = False
            try:
                _within(self._close_timeout, "abort", self._producer.abort_transaction)
            except KafkaError as exc:
                # Whatever it wrote stays invisible to read_committed consumers, and the next
                # producer with this transactional id, or the broker's timeout, aborts it.
                log.warning("transaction not aborted", extra={"error": repr(exc)})
        _close_producer(self._producer, self._close_timeout)


def _within(timeout: float, what: str, call: Callable[[], None]) -> None:
    """Runs `call` on a daemon thread; raises `KafkaTimeoutError` if it takes over `timeout` s.

    A call that overruns goes on unobserved; its producer must not be used again.
    """
    outcome: Future[None] = Future()

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.set_exception(exc)
        else:
            outcome.set_result(None)

    threading.Thread(target=run, name=f"newswire-{what}", daemon=True).start()
    try:
        outcome.result(timeout)
    except TimeoutError as exc:
        raise KafkaTimeoutError(f"{what} did not finish within {timeout:g} s") from exc


def checkpoint_failure(what: str, exc: KafkaError) -> CheckpointError:
    """`exc` as a `CheckpointError` whose reason, a metric label, says what kind of failure."""
    if isinstance(exc, _REBALANCE):
        reason = "rebalance"
    elif isinstance(exc, _FENCED):
        reason = "fenced"
    elif isinstance(exc, KafkaTimeoutError):
        reason = "timeout"
    elif exc.retriable:
        reason = "unavailable"
    else:
        reason = "error"
    return CheckpointError(reason, f"cannot {what}: {exc!r}")


def _close_producer(producer: KafkaProducer, timeout: float) -> None:
    """Closes `producer` within `timeout`, or else goes on closing it on a daemon thread.

    kafka-python's close() first flushes, and gives up with an error, not a forced close, when
    records are still unacknowledged (a broker outage); they expire after delivery_timeout_ms.
    """
    try:
        producer.close(timeout=timeout)
    except KafkaError as exc:
        log.warning("producer not closed in time; closing it in the background", exc_info=exc)
        threading.Thread(
            target=_close_eventually, args=(producer,), name="newswire-close", daemon=True
        ).start()


def _close_eventually(producer: KafkaProducer) -> None:
    try:
        producer.close()  # waits for the unacknowledged records to be delivered or expire
    except KafkaError as exc:
        log.warning("producer not closed", extra={"error": repr(exc)})

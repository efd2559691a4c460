"""How a batch's output and its consumed offsets become durable: together, or not at all.

`TransactionalCheckpoint` (exactly-once, the default) writes the enriched records, the dead
letters and the consumed offsets in one Kafka transaction (KIP-447: the offsets carry the
consumer's group metadata, so a member that lost its partitions cannot commit them).
`AtLeastOnceCheckpoint` waits for every record to be acknowledged, then commits the offsets: a
crash in between re-enriches the batch, never loses it.
"""

import logging
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from newswire.errors import KafkaUnavailableError

log = logging.getLogger(__name__)

Offsets = dict[TopicPartition, OffsetAndMetadata]


class Checkpoint(Protocol):
    def begin(self) -> None:
        """Called before the batch's first record is produced."""

    def commit(self, offsets: Offsets, sent: list[Any]) -> None:
        """Makes the batch's records (`sent` futures) and `offsets` durable, or raises."""

    def abort(self) -> None:
        """Discards what the batch produced, where that is possible."""


class AtLeastOnceCheckpoint:
    def __init__(self, producer: KafkaProducer, consumer: KafkaConsumer, timeout: float) -> None:
        self._producer = producer
        self._consumer = consumer
        self._timeout = timeout

    def begin(self) -> None:
        """Nothing to open: records are sent as they come."""

    def commit(self, offsets: Offsets, sent: list[Any]) -> None:
        try:
            self._producer.flush(timeout=self._timeout)
            for future in sent:
                future.get(timeout=0)
            self._consumer.commit(offsets)
        except KafkaError as exc:
            raise KafkaUnavailableError(f"batch not committed: {exc!r}") from exc

    def abort(self) -> None:
        """Records already sent stay; the batch is enriched again (at-least-once)."""


class TransactionalCheckpoint:
    def __init__(self, producer: KafkaProducer, consumer: KafkaConsumer) -> None:
        self._producer = producer
        self._consumer = consumer
        self._open = False
        try:
            producer.init_transactions()
        except KafkaError as exc:
            raise KafkaUnavailableError(f"cannot initialise transactions: {exc!r}") from exc

    def begin(self) -> None:
        self._producer.begin_transaction()
        self._open = True

    def commit(self, offsets: Offsets, sent: list[Any]) -> None:
        try:
            self._producer.send_offsets_to_transaction(offsets, self._consumer.group_metadata())
            self._producer.commit_transaction()
        except KafkaError as exc:
            raise KafkaUnavailableError(f"transaction not committed: {exc!r}") from exc
        self._open = False

    def abort(self) -> None:
        if not self._open:
            return
        self._open = False
        try:
            self._producer.abort_transaction()
        except KafkaError as exc:
            # The broker aborts it anyway once transaction_timeout_ms passes.
            log.warning("abort failed", extra={"error": repr(exc)})

"""Dead letters: what could not be enriched goes to the DLQ topic, with where it came from and why.

The value and key stay exactly as they were, so a fixed enricher can replay them; the headers say
the original topic, partition and offset, the stage that failed, the error class and its message.
What would make the dead letter too large for Kafka is left out, the largest first of value,
original headers and key (`dlq.value.dropped`, `dlq.headers.dropped`, `dlq.key.dropped` give
their sizes): the raw topic still holds the record at `dlq.offset`. A dead letter Kafka
refused would fail its batch again and again.
"""

import json
from dataclasses import dataclass

from kafka.consumer.fetcher import ConsumerRecord

from newswire.errors import RecordError

Headers = list[tuple[str, bytes]]
MAX_MESSAGE_CHARS = 1000


@dataclass(frozen=True)
class DeadLetter:
    record: ConsumerRecord
    stage: str
    error: BaseException

    @property
    def reason(self) -> str:
        """A bounded label: the error's own reason, or its class for unexpected failures."""
        if isinstance(self.error, RecordError):
            return self.error.reason
        return "unexpected_error"

    def record_fields(self, max_bytes: int) -> tuple[bytes | None, bytes | None, Headers]:
        """The dead letter's key, value and headers: the original ones and this failure's
        `dlq.*` headers, less what would take the record past `max_bytes` with Kafka's framing:
        the largest of value, original headers and key first, then the next."""
        key, value, original = self.record.key, self.record.value, self._original_headers()
        failure = self._failure_headers()
        notes: Headers = []
        sizes = {
            "value": len(value or b""),
            "headers": headers_size(original),
            "key": len(key or b""),
        }
        for part in sorted(sizes, key=sizes.__getitem__, reverse=True):
            if record_size(key, value or b"", original + failure + notes) <= max_bytes:
                break
            notes.append((f"dlq.{part}.dropped", str(sizes[part]).encode()))
            if part == "value":
                value = b""
            elif part == "headers":
                original = []
            else:
                key, value = None, value or b""  # Kafka takes no record without either
        return key, value, original + failure + notes

    def _original_headers(self) -> Headers:
        # A dead letter read back into the raw topic and failing again gets this failure's
        # headers only: readers take the first of a name.
        return [
            (name, value)
            for name, value in self.record.headers or ()
            if value is not None and not name.startswith("dlq.")
        ]

    def _failure_headers(self) -> Headers:
        record = self.record
        fields = {
            "dlq.topic": record.topic,
            "dlq.partition": str(record.partition),
            "dlq.offset": str(record.offset),
            "dlq.stage": self.stage,
            "dlq.reason": self.reason,
            "dlq.error.class": type(self.error).__name__,
            "dlq.error.message": str(self.error)[:MAX_MESSAGE_CHARS],
        }
        # A header without a value is one Kafka's Python client cannot write: its name is kept.
        valueless = [
            name
            for name, value in record.headers or ()
            if value is None and not name.startswith("dlq.")
        ]
        if valueless:
            fields["dlq.headers.null"] = json.dumps(valueless)
        return [(name, value.encode()) for name, value in fields.items()]


# Kafka's framing of one record in a batch of its own: the batch header and the record's lengths.
FRAMING_BYTES = 128


def record_size(key: bytes | None, value: bytes, headers: Headers) -> int:
    """What a record takes of a broker's `message.max.bytes` at most (without compression)."""
    return len(key or b"") + len(value) + headers_size(headers) + FRAMING_BYTES


def headers_size(headers: Headers) -> int:
    return sum(len(name.encode()) + len(data) for name, data in headers)

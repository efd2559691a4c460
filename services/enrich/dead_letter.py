"""Dead letters: what could not be enriched goes to the DLQ topic, with where it came from and why.

The value and key stay exactly as they were, so a fixed enricher can replay them; the headers say
the original topic, partition and offset, the stage that failed, the error class and its message.
A value that would make the dead letter too large for Kafka is left out (`dlq.value.dropped`
gives its size): the raw topic still holds it at `dlq.offset`.
"""

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

    def headers(self) -> Headers:
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
        # A dead letter read back into the raw topic and failing again gets this failure's
        # headers only: readers take the first of a name.
        original = [
            (key, value)
            for key, value in record.headers or ()
            if value is not None and not key.startswith("dlq.")
        ]
        return original + [(key, value.encode()) for key, value in fields.items()]

    def record_fields(self, max_bytes: int) -> tuple[bytes | None, Headers]:
        """The dead letter's value and headers: the original value when the record fits in
        `max_bytes` with its key, headers and Kafka's framing, else none."""
        value, headers = self.record.value, self.headers()
        if value is not None and record_size(self.record.key, value, headers) > max_bytes:
            return b"", [*headers, ("dlq.value.dropped", str(len(value)).encode())]
        return value, headers


# Kafka's framing of one record in a batch of its own: the batch header and the record's lengths.
FRAMING_BYTES = 128


def record_size(key: bytes | None, value: bytes, headers: Headers) -> int:
    """What a record takes of a broker's `message.max.bytes` at most (without compression)."""
    fields = sum(len(name.encode()) + len(data) for name, data in headers)
    return len(key or b"") + len(value) + fields + FRAMING_BYTES

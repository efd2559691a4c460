"""Dead letters: what could not be enriched goes to the DLQ topic, with where it came from and why.

The value and key stay exactly as they were, so a fixed enricher can replay them; the headers say
the original topic, partition and offset, the stage that failed, the error class and its message.
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
        original = [(key, value) for key, value in record.headers or () if value is not None]
        return original + [(key, value.encode()) for key, value in fields.items()]

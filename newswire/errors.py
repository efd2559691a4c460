"""newswire's errors, one tree rooted in `NewswireError`.

    NewswireError
    ├── ConfigError            settings or a command line that cannot work
    ├── BrokerError            the embedded broker could not be fetched, started or stopped
    ├── KafkaUnavailableError       the broker cannot be reached now (retriable)
    ├── SeedError              a seed file that cannot be read; names the file and the reason
    └── RecordError            a record that cannot be processed (a poison record)
        ├── DecodeError        not UTF-8, not JSON, or not the shape its schema promises
        └── EnrichmentError    the tagger failed on a well-formed record

`retriable` tells the caller whether the same work may succeed later. Library errors are converted
at stage boundaries with `raise ... from`, so the original stays in the traceback.
"""


class NewswireError(Exception):
    """Root of every error newswire raises on purpose."""

    retriable: bool = False


class ConfigError(NewswireError):
    """Settings or command-line options that cannot work."""


class BrokerError(NewswireError):
    """The embedded broker could not be fetched, verified, started or stopped."""


class KafkaUnavailableError(NewswireError):
    """The Kafka cluster cannot be reached right now."""

    retriable = True


class SeedError(NewswireError):
    """A seed file that cannot be turned into an article.

    `reason` is one of a small fixed set (a metric label); `detail` says the rest.
    """

    def __init__(self, path: str, reason: str, detail: str) -> None:
        super().__init__(f"{path}: {reason}: {detail}")
        self.path = path
        self.reason = reason
        self.detail = detail


class RecordError(NewswireError):
    """A record that cannot be processed, however often it is retried."""

    reason: str = "invalid"


class DecodeError(RecordError):
    """A record value that is not UTF-8 JSON of the expected schema."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class EnrichmentError(RecordError):
    """The tagger failed on a record that decoded fine."""

    reason = "enrichment_failed"

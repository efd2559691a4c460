"""newswire's errors, one tree rooted in `NewswireError`.

    NewswireError
    ├── ConfigError            settings or a command line that cannot work
    ├── BrokerError            the embedded broker could not be fetched, started or stopped
    ├── KafkaUnavailableError  the broker cannot be reached now (retriable)
    ├── CheckpointError        a batch's output and offsets were not committed; `reason` says
    │                          why (retriable: the batch is processed again)
    ├── FencedError            another process took over this one's transactional id: stop
    ├── SeedError              a seed file that cannot be read; names the file and the reason
    ├── FeedError              a feed not fetched or parsed this time; `reason` says why
    │   ├── FetchTimeoutError      connect or read timeout, or the overall deadline (retriable)
    │   ├── FetchNetworkError      DNS, connection, TLS or HTTP protocol failure (retriable)
    │   ├── FeedHTTPStatusError    3xx without a usable Location, 4xx, 5xx (5xx, 408, 429
    │   │                          retriable; 429 and 503 carry Retry-After)
    │   ├── FeedConfigError        the feed's entry refers to an environment variable not set
    │   ├── TooManyRedirectsError  more redirects than allowed, or a redirect loop
    │   ├── ForbiddenAddressError  resolves to a loopback, private, link-local or reserved address
    │   ├── InvalidFeedURLError    not an http(s) URL with a host (the feed's or a redirect's)
    │   ├── BodyTooLargeError      the body, once decompressed, is larger than the cap
    │   ├── ContentEncodingError   a compressed body that cannot be decompressed
    │   └── FeedParseError         nothing usable in the body: not a feed, or too broken to read
    └── RecordError            a record that cannot be processed (a poison record)
        ├── DecodeError        not UTF-8, not JSON, or not the shape its schema promises
        ├── EnrichmentError    the tagger failed on a well-formed record
        └── RecordsRejectedError  Kafka refused records of a transaction (too large, invalid)

`retriable` tells the caller whether the same work may succeed later. Library errors are converted
at stage boundaries with `raise ... from`, so the original stays in the traceback.
"""

from typing import ClassVar


class NewswireError(Exception):
    """Root of every error newswire raises on purpose."""

    retriable: bool = False

    @property
    def exit_code(self) -> int:
        """A command's exit status for it: 1 if trying again later may work, else 2."""
        return 1 if self.retriable else 2


class ConfigError(NewswireError):
    """Settings or command-line options that cannot work."""


class BrokerError(NewswireError):
    """The embedded broker could not be fetched, verified, started or stopped."""


class KafkaUnavailableError(NewswireError):
    """The Kafka cluster cannot be reached right now."""

    retriable = True


class CheckpointError(NewswireError):
    """A batch's output and consumed offsets were not made durable; the batch runs again.

    `reason` is one of `REASONS` (a metric label): `unavailable` (Kafka cannot be reached),
    `timeout` (no answer in time: the commit may or may not have happened), `rebalance` (the
    consumer lost its partitions or its group generation), `fenced` (a newer producer took over
    the transactional id) or `error` (anything else).
    """

    REASONS: ClassVar[tuple[str, ...]] = ("unavailable", "timeout", "rebalance", "fenced", "error")
    retriable = True

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class FencedError(NewswireError):
    """A newer process started with the same transactional id; this one may write no more.

    Not retriable: retrying would fence the newer process in turn, and the two would take turns.
    """


class SeedError(NewswireError):
    """A seed file that cannot be turned into an article.

    `reason` is one of `REASONS` (a metric label); `detail` says the rest.
    """

    REASONS: ClassVar[tuple[str, ...]] = (
        "unreadable",
        "not_utf8",
        "binary",
        "empty",
        "too_large",
        "invalid_json",
        "invalid_record",
        "invalid_url",
    )

    def __init__(self, path: str, reason: str, detail: str) -> None:
        super().__init__(f"{path}: {reason}: {detail}")
        self.path = path
        self.reason = reason
        self.detail = detail


def status_class(status: int) -> str:
    """An HTTP status's class, a metric label: `4xx`; `other` outside 100-599, which a server
    may send too."""
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


class FeedError(NewswireError):
    """A feed that could not be fetched or parsed this time; the feed stays scheduled.

    `reason` is one of a small fixed set, one per subclass (a metric label); `detail` says the rest.
    `status` is the HTTP status of the response the error is about, when one arrived.
    """

    reason: str = "feed_error"

    def __init__(self, url: str, detail: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {self.reason}: {detail}")
        self.url = url
        self.detail = detail
        self.status = status


class FetchTimeoutError(FeedError):
    reason = "timeout"
    retriable = True


class FetchNetworkError(FeedError):
    reason = "network"
    retriable = True


class FeedHTTPStatusError(FeedError):
    """The server answered with a status that carries no feed; `reason` is its class: `http_4xx`."""

    def __init__(
        self, url: str, status: int, detail: str, retry_after: float | None = None
    ) -> None:
        self.reason = f"http_{status_class(status)}"
        super().__init__(url, f"HTTP {status}: {detail}" if detail else f"HTTP {status}", status)
        self.retry_after = retry_after
        self.retriable = status >= 500 or status in (408, 429)


class FeedConfigError(FeedError):
    """The feed's entry cannot be used on this replica: a header names an unset variable."""

    reason = "config"


class TooManyRedirectsError(FeedError):
    reason = "too_many_redirects"


class ForbiddenAddressError(FeedError):
    reason = "forbidden_address"


class InvalidFeedURLError(FeedError):
    reason = "invalid_url"


class BodyTooLargeError(FeedError):
    reason = "too_large"


class ContentEncodingError(FeedError):
    reason = "bad_encoding"


class FeedParseError(FeedError):
    reason = "malformed"


class RecordError(NewswireError):
    """A record that cannot be processed, however often it is retried."""

    reason: str = "invalid"


class DecodeError(RecordError):
    """A record value that is not UTF-8 JSON of the expected schema."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class RecordTooLargeError(RecordError):
    """A record that Kafka would refuse for its size."""

    reason = "too_large"


class EnrichmentError(RecordError):
    """The tagger failed on a record that decoded fine."""

    reason = "enrichment_failed"


class RecordsRejectedError(RecordError):
    """Kafka refused some records of a transaction for what they are, so the transaction was
    aborted; `indexes` are their positions in what was written. The rest may be written again."""

    reason = "rejected"

    def __init__(self, indexes: list[int], detail: str) -> None:
        super().__init__(f"{len(indexes)} record(s) rejected: {detail}")
        self.indexes = indexes

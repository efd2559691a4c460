"""Producer and consumer factories: one place that turns settings into kafka-python clients."""

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from newswire.errors import KafkaUnavailableError
from newswire.kafka.serde import ArticleSerializer
from newswire.settings import KafkaSettings

MAX_RECORD_BYTES = 2 * 1024 * 1024
# A crashed transactional producer's open transaction holds back read_committed consumers until
# the broker times it out; transactions here last well under a second, so keep that wait short.
TRANSACTION_TIMEOUT_MS = 10_000
# kafka-python backs off reconnecting up to 30 s, so a client could take that long to notice a
# broker that came back; Java's clients stop at 1 s.
RECONNECT_BACKOFF_MAX_MS = 2_000


def make_producer(
    kafka: KafkaSettings,
    client_id: str,
    transactional_id: str | None = None,
    **overrides: object,
) -> KafkaProducer:
    """An idempotent producer that waits for every in-sync replica and serializes articles.

    `overrides` are further kafka-python settings, e.g. `max_block_ms` or `bootstrap_timeout_ms`.
    """
    try:
        return KafkaProducer(
            **kafka.client_config(),
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            transactional_id=transactional_id,
            transaction_timeout_ms=TRANSACTION_TIMEOUT_MS,
            compression_type=None if kafka.compression_type == "none" else kafka.compression_type,
            linger_ms=kafka.linger_ms,
            max_request_size=MAX_RECORD_BYTES,
            value_serializer=ArticleSerializer(),
            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            **overrides,
        )
    except KafkaError as exc:
        raise KafkaUnavailableError(
            f"cannot reach Kafka at {kafka.bootstrap_servers}: {exc}"
        ) from exc


def make_consumer(
    kafka: KafkaSettings, client_id: str, group_id: str | None, **overrides: object
) -> KafkaConsumer:
    """A consumer that never commits on its own: services commit after their work succeeded."""
    try:
        return KafkaConsumer(
            **kafka.client_config(),
            client_id=client_id,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            **overrides,
        )
    except KafkaError as exc:
        raise KafkaUnavailableError(
            f"cannot reach Kafka at {kafka.bootstrap_servers}: {exc}"
        ) from exc

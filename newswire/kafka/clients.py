"""Client factories: the one place that turns settings into kafka-python clients."""

from typing import Literal

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError

from newswire.errors import KafkaUnavailableError
from newswire.kafka.serde import ArticleSerializer
from newswire.settings import KafkaSettings

MAX_RECORD_BYTES = 2 * 1024 * 1024
# kafka-python's default batch (16 KiB) holds a handful of articles, and each new batch costs a
# wake-up of the I/O thread and a request part of its own: with 256 KiB, a bare producer spent
# 105 µs of CPU per article of 500 words instead of 255 (bench.publish's records).
BATCH_BYTES = 256 * 1024
# A crashed transactional producer's open transaction holds back read_committed consumers until
# the broker times it out; transactions here last well under a second, so keep that wait short.
TRANSACTION_TIMEOUT_MS = 10_000
# kafka-python backs off reconnecting up to 30 s, so a client could take that long to notice a
# broker that came back; Java's clients stop at 1 s.
RECONNECT_BACKOFF_MAX_MS = 2_000
# kafka-python waits 30 s by default for a new client's first answer from Kafka, and nothing cuts
# that wait short: a service asked to stop while the broker is down would overrun its 10 s. The
# services retry anyway (`retry_until_stopped`), so a short wait costs nothing when Kafka is up.
BOOTSTRAP_TIMEOUT_MS = 5_000
# kafka-python's own metrics are read by nobody here (the services export their own), and
# recording them took about 2% of ingest's CPU on its first pass (py-spy: `Sensor.record`).
METRICS_ENABLED = False


def make_producer(
    kafka: KafkaSettings,
    client_id: str,
    transactional_id: str | None = None,
    bootstrap_timeout_ms: int = BOOTSTRAP_TIMEOUT_MS,
    **overrides: object,
) -> KafkaProducer:
    """An idempotent producer that waits for every in-sync replica and serializes articles.

    `overrides` are further kafka-python settings, e.g. `max_block_ms`.
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
            batch_size=BATCH_BYTES,
            max_request_size=MAX_RECORD_BYTES,
            metrics_enabled=METRICS_ENABLED,
            value_serializer=ArticleSerializer(),
            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            bootstrap_timeout_ms=bootstrap_timeout_ms,
            **overrides,
        )
    except KafkaError as exc:
        raise _unreachable(kafka, exc) from exc


def make_consumer(
    kafka: KafkaSettings,
    client_id: str,
    group_id: str | None,
    bootstrap_timeout_ms: int = BOOTSTRAP_TIMEOUT_MS,
    isolation_level: Literal["read_committed", "read_uncommitted"] = "read_committed",
    **overrides: object,
) -> KafkaConsumer:
    """A consumer that never commits on its own: services commit after their work succeeded.

    It reads only what transactions committed, unless `isolation_level` is "read_uncommitted"
    (which also makes `end_offsets` give high watermarks instead of last stable offsets)."""
    try:
        return KafkaConsumer(
            **kafka.client_config(),
            client_id=client_id,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level=isolation_level,
            metrics_enabled=METRICS_ENABLED,
            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            bootstrap_timeout_ms=bootstrap_timeout_ms,
            **overrides,
        )
    except KafkaError as exc:
        raise _unreachable(kafka, exc) from exc


def partitions_of(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of `topic`; raises `KafkaUnavailableError` while it has none known."""
    try:
        numbers = consumer.partitions_for_topic(topic) or set()
    except KafkaError as exc:
        raise KafkaUnavailableError(f"cannot read {topic}: {exc!r}") from exc
    if not numbers:
        raise KafkaUnavailableError(f"topic {topic} has no partitions yet")
    return [TopicPartition(topic, number) for number in sorted(numbers)]


def subscribe(
    consumer: KafkaConsumer, topic: str, listener: ConsumerRebalanceListener | None = None
) -> None:
    """Subscribes a group consumer to `topic`, whose partitions it then knows before it joins.

    A kafka-python group leader notes the partitions it knew of when it assigned them, and the
    group rebalances again as soon as its metadata says more. It takes note only for topics
    already subscribed to, so the partitions are asked for after subscribing: otherwise, on a
    loaded machine, a first join made before the answer came is followed by a second rebalance
    (seen in tests). Raises `KafkaUnavailableError` while the topic has no partitions known.
    """
    consumer.subscribe([topic], listener=listener)
    partitions_of(consumer, topic)


def make_admin(kafka: KafkaSettings, client_id: str) -> KafkaAdminClient:
    """A client for the cluster's metadata: topics and their partitions."""
    try:
        return KafkaAdminClient(
            **kafka.client_config(),
            client_id=client_id,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except KafkaError as exc:
        raise _unreachable(kafka, exc) from exc


def _unreachable(kafka: KafkaSettings, exc: KafkaError) -> KafkaUnavailableError:
    return KafkaUnavailableError(f"cannot reach Kafka at {kafka.bootstrap_servers}: {exc}")

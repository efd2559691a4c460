"""Feeding the services, and reading what they wrote as a downstream consumer would.

`feed` publishes raw articles as ingest would (the project's serializer, acks=all, idempotent).
`Reader` is `newswire tail`'s group-less, read_committed consumer. `log_bytes` is what a topic
holds on the broker's disk: record batches are stored as the producer compressed them (topics
keep the producer's codec), so it is also what crossed the wire, plus batch headers and
transaction markers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from kafka.consumer.fetcher import ConsumerRecord

from newswire.kafka.clients import make_producer
from newswire.kafka.serde import article_key
from newswire.settings import KafkaSettings
from newswire.tail import open_tail
from schemas import RawArticle


def feed(kafka: KafkaSettings, topic: str, articles: Sequence[RawArticle]) -> None:
    """Publishes `articles` to `topic` and waits until Kafka has acknowledged every one."""
    producer = make_producer(kafka, "bench-feed")
    try:
        futures = [
            producer.send(topic, key=article_key(article), value=article) for article in articles
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=0)
    finally:
        producer.close()


class Reader:
    """Every partition of `topics`, from their start (or their end), read_committed."""

    def __init__(self, kafka: KafkaSettings, topics: list[str], from_beginning: bool = True):
        self._consumer = open_tail(kafka, topics, from_beginning)

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._consumer.close()

    def poll(self, timeout_ms: int = 100) -> list[ConsumerRecord]:
        polled = self._consumer.poll(timeout_ms=timeout_ms)
        return [record for batch in polled.values() for record in batch]

    def read(self, count: int, timeout: float) -> list[ConsumerRecord]:
        """Records until `count` of them have been read, or `timeout` seconds have passed."""
        found: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            found += self.poll(200)
        return found


def log_bytes(data_dir: Path, topic: str) -> int:
    """The bytes of the record-batch files (`*.log`) of every partition of `topic`."""
    log_dirs = data_dir / "kraft"
    return sum(
        path.stat().st_size
        for partition in log_dirs.glob(f"{topic}-*")
        if partition.name.rpartition("-")[0] == topic
        for path in partition.glob("*.log")
    )

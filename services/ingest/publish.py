"""Publishes articles to the raw topic and tells which ones Kafka acknowledged."""

import logging
import time
from dataclasses import dataclass

from kafka import KafkaProducer
from kafka.errors import KafkaError

from newswire.errors import KafkaUnavailableError
from newswire.kafka.serde import article_key
from schemas import RawArticle
from services.ingest import metrics

log = logging.getLogger(__name__)


@dataclass
class PublishResult:
    acknowledged: int = 0
    failed: int = 0


class Publisher:
    """Sends articles, then `flush()` waits for Kafka's answer to every one of them."""

    def __init__(self, producer: KafkaProducer, topic: str, timeout: float) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout = timeout
        self._pending: list[tuple[RawArticle, object]] = []

    def publish(self, article: RawArticle) -> None:
        try:
            future = self._producer.send(self._topic, key=article_key(article), value=article)
        except KafkaError as exc:
            raise KafkaUnavailableError(f"cannot publish to {self._topic}: {exc}") from exc
        self._pending.append((article, future))

    def flush(self) -> PublishResult:
        """Waits for every pending article; failures are logged and counted, never dropped."""
        started = time.perf_counter()
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout=self._timeout)
        except KafkaError as exc:
            log.error("flush timed out", extra={"topic": self._topic, "error": str(exc)})
        result = PublishResult()
        for article, future in pending:
            kind = article.source.kind.value
            try:
                future.get(timeout=0)  # type: ignore[attr-defined]
            except KafkaError as exc:
                result.failed += 1
                metrics.PUBLISH_FAILURES.labels(kind).inc()
                log.error(
                    "article not acknowledged",
                    extra={"id": article.id, "title": article.title, "error": repr(exc)},
                )
            else:
                result.acknowledged += 1
                metrics.ARTICLES_PUBLISHED.labels(kind).inc()
        if pending:
            metrics.PUBLISH_DURATION.observe(time.perf_counter() - started)
        return result

"""Where a batch's results go: enriched articles to the enriched topic, dead letters to the DLQ.

Both the live loop and `newswire replay` produce a batch this way, inside their checkpoint.
"""

from collections.abc import Sequence
from typing import Any

from kafka import KafkaProducer

from newswire.kafka.serde import article_key
from newswire.settings import TopicSettings
from schemas import EnrichedArticle
from services.enrich.dead_letter import DeadLetter


def send_batch(
    producer: KafkaProducer,
    topics: TopicSettings,
    enriched: Sequence[EnrichedArticle],
    dead_letters: Sequence[DeadLetter],
    max_bytes: int,
) -> list[Any]:
    """Sends every record of a batch; returns their futures, for the checkpoint to wait on.
    Records are at most `max_bytes`: `enrich_batch` made larger enriched ones dead letters."""
    sent = [
        producer.send(topics.enriched, key=article_key(article), value=article)
        for article in enriched
    ]
    for letter in dead_letters:
        key, value, headers = letter.record_fields(max_bytes)
        sent.append(producer.send(topics.dlq, key=key, value=value, headers=headers))
    return sent

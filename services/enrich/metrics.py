"""Every metric the enrich service exports; labels come from small fixed sets only."""

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

from newswire.errors import CheckpointError

ARTICLES = Counter(
    "newswire_enrich_articles_total",
    "Raw records handled, by outcome (enriched or dead_lettered).",
    ["outcome"],
)
LANGUAGE_ONLY = Counter(
    "newswire_enrich_language_only_total",
    "Articles enriched without entities and topics, whose models are English: language and "
    "keywords only.",
)
# Why a record is dead-lettered, as docs/consumers.md lists them (`dlq.reason`).
DEAD_LETTER_REASONS = (
    "invalid_utf8",
    "invalid_json",
    "schema_mismatch",
    "unsupported_schema",
    "too_large",
    "empty",
    "unreadable",
    "enrichment_failed",
    "unexpected_error",
)
DEAD_LETTERS = Counter(
    "newswire_enrich_dead_letters_total",
    "Records sent to the dead-letter topic, by reason.",
    ["reason"],
)
CHECKPOINT_FAILURES = Counter(
    "newswire_enrich_checkpoint_failures_total",
    "Batches not committed, each processed again, by reason "
    "(unavailable, timeout, rebalance, fenced, error).",
    ["reason"],
)
BATCH_DURATION = Histogram(
    "newswire_enrich_batch_duration_seconds",
    "Time to tag one batch of articles.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
BATCH_SIZE = Histogram(
    "newswire_enrich_batch_size",
    "Articles tagged per batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 500),
)
END_TO_END_LATENCY = Histogram(
    "newswire_enrich_end_to_end_latency_seconds",
    "Time from an article's fetch by ingest to its enriched record being acknowledged.",
    # Up to a day: a percentile past the last bucket reads as that bucket's bound, so an outage
    # of hours would show as minutes.
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400),
)
CONSUMER_LAG = Gauge(
    "newswire_enrich_consumer_lag",
    "Records in the raw topic not yet processed, per partition.",
    ["partition"],
)

# Series whose labels are a small fixed set exist from the start, at 0: a dashboard shows 0
# rather than no data, and rate() has a sample from before the first event.
for _outcome in ("enriched", "dead_lettered"):
    ARTICLES.labels(_outcome)
for _reason in CheckpointError.REASONS:
    CHECKPOINT_FAILURES.labels(_reason)
for _reason in DEAD_LETTER_REASONS:
    DEAD_LETTERS.labels(_reason)


def set_consumer_lag(lags: Mapping[int, int]) -> None:
    """The lag of each partition owned now; the partitions given away lose theirs, so a replica
    never reports a stale lag for a partition another replica now consumes."""
    owned = {str(partition) for partition in lags}
    for metric in CONSUMER_LAG.collect():
        for sample in metric.samples:
            if sample.labels["partition"] not in owned:
                CONSUMER_LAG.remove(sample.labels["partition"])
    for partition, lag in lags.items():
        CONSUMER_LAG.labels(str(partition)).set(lag)

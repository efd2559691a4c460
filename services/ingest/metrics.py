"""Every metric the ingest service exports; labels come from small fixed sets only."""

from prometheus_client import Counter, Histogram

ARTICLES_PUBLISHED = Counter(
    "newswire_ingest_articles_published_total",
    "Articles Kafka acknowledged on the raw topic, by source kind.",
    ["source_kind"],
)
PUBLISH_FAILURES = Counter(
    "newswire_ingest_publish_failures_total",
    "Articles Kafka did not acknowledge, by source kind.",
    ["source_kind"],
)
SOURCE_ERRORS = Counter(
    "newswire_ingest_source_errors_total",
    "Seeds or feed items that could not be turned into articles, by source kind and reason.",
    ["source_kind", "reason"],
)
PUBLISH_DURATION = Histogram(
    "newswire_ingest_publish_duration_seconds",
    "Time from handing a batch of articles to Kafka until every one was acknowledged.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

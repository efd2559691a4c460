"""Every metric the ingest service exports; labels come from small fixed sets only.

The `feed` label takes only the names of the configured feeds (unique in the feeds file, so the
set is bounded by it); a feed removed from the file has its series removed too.
"""

from prometheus_client import Counter, Gauge, Histogram

from newswire import errors
from schemas import SourceKind
from services.ingest.dedup import Outcome

ARTICLES_PUBLISHED = Counter(
    "newswire_ingest_articles_published_total",
    "Articles committed to the raw topic, by source kind.",
    ["source_kind"],
)
PUBLISH_FAILURES = Counter(
    "newswire_ingest_publish_failures_total",
    "Articles in transactions that did not commit (they are sent again), by source kind.",
    ["source_kind"],
)
# Why a feed item gave no article (the `reason` label; a seed's are `SeedError.REASONS`): its
# `SkippedItem.reason`, too large for a record, or past the limit of items read.
FEED_ITEM_SKIP_REASONS = ("empty_item", "invalid_item", "too_large", "too_many_items")
SOURCE_ERRORS = Counter(
    "newswire_ingest_source_errors_total",
    "Seeds or feed items that could not be turned into articles, by source kind and reason.",
    ["source_kind", "reason"],
)
PUBLISH_DURATION = Histogram(
    "newswire_ingest_publish_duration_seconds",
    "Time from beginning a transaction until Kafka committed it.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TRANSACTIONS = Counter(
    "newswire_ingest_transactions_total",
    "Kafka transactions of articles and feed state, by outcome (committed, failed).",
    ["outcome"],
)

FETCHES = Counter(
    "newswire_ingest_fetches_total",
    "Feed polls by outcome (ok, not_modified, or the error's reason) and HTTP status class "
    "(1xx … 5xx, other for a status outside 100-599, or none when no response arrived).",
    ["outcome", "status_class"],
)
FETCHED_BYTES = Counter(
    "newswire_ingest_fetched_bytes_total", "Feed bodies received, after decompression."
)
FETCH_DURATION = Histogram(
    "newswire_ingest_fetch_duration_seconds",
    "Time to fetch a feed, redirects and body included, by result (ok, not_modified, error).",
    ["result"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ITEMS = Counter(
    "newswire_ingest_items_total",
    "Feed items by outcome: new, updated (published again), unchanged, duplicate (the same "
    "item twice in one feed, or an article another feed already published).",
    ["outcome"],
)
FEED_MOVES = Counter(
    "newswire_ingest_feed_moves_total",
    "Permanent redirects (301, 308) that changed the URL a feed is polled at.",
)
FEED_LIST_RELOADS = Counter(
    "newswire_ingest_feed_list_reloads_total",
    "Reloads of the feeds file, by outcome (ok: read and valid, then written to the feed-list "
    "topic, retried until Kafka takes it; error: the previous list is kept).",
    ["outcome"],
)

FEEDS_CONFIGURED = Gauge(
    "newswire_ingest_feeds_configured", "Enabled feeds this replica polls: its share of the list."
)
FEED_PARTITIONS_OWNED = Gauge(
    "newswire_ingest_feed_partitions_owned",
    "Partitions of the feed-list topic this replica owns (0: a spare, or rebalancing).",
)
FEEDS_HEALTHY = Gauge("newswire_ingest_feeds_healthy", "Enabled feeds whose last poll succeeded.")
FEEDS_FAILING = Gauge("newswire_ingest_feeds_failing", "Enabled feeds whose last poll failed.")
FEED_LAST_SUCCESS = Gauge(
    "newswire_ingest_feed_last_success_timestamp_seconds",
    "When the feed was last polled successfully (Unix time; 0: never).",
    ["feed"],
)
FEED_ERROR_STREAK = Gauge(
    "newswire_ingest_feed_error_streak",
    "Polls of the feed that failed in a row; 0 after a success.",
    ["feed"],
)

# Series whose labels are a small fixed set exist from the start, at 0: a dashboard shows 0
# rather than no data, and rate() has a sample from before the first event.
for _item in Outcome:
    ITEMS.labels(_item.value)
for _outcome in ("committed", "failed"):
    TRANSACTIONS.labels(_outcome)
for _outcome in ("ok", "error"):
    FEED_LIST_RELOADS.labels(_outcome)
for _kind in SourceKind:
    ARTICLES_PUBLISHED.labels(_kind.value)
    PUBLISH_FAILURES.labels(_kind.value)
    for _reason in errors.SeedError.REASONS if _kind is SourceKind.SEED else FEED_ITEM_SKIP_REASONS:
        SOURCE_ERRORS.labels(_kind.value, _reason)


def status_class(status: int | None) -> str:
    """The `status_class` label: `none` when no response arrived."""
    return "none" if status is None else errors.status_class(status)

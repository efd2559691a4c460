"""The ingest service's settings, built once in its entry point."""

import socket
from pathlib import Path

from pydantic import Field, model_validator

from newswire.settings import ServiceSettings
from services.ingest.fetch import FetchSettings
from services.ingest.ownership import GroupConfig


class IngestSettings(ServiceSettings):
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    seeds_dir: Path = Path("seeds")
    seed_scan_interval: float = Field(
        default=10.0, gt=0, description="Seconds between looks for new or changed seed files."
    )
    publish_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds to wait for Kafka to commit a transaction (the broker aborts "
        "one open longer than 10 s anyway) or to answer while the state is read.",
    )
    transactional_id: str | None = Field(
        default=None,
        description="Kafka transactional id; one per ingest process, the same across its "
        "restarts. Default: `newswire-ingest.<state topic>.<host name>`.",
    )

    feeds_file: Path | None = Field(default=None, description="YAML or OPML; none: seeds only.")
    feeds_watch_interval: float = Field(
        default=5.0, gt=0, description="Seconds between looks at the feeds file's modification."
    )
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    default_interval: float = Field(
        default=900.0, gt=0, description="Seconds between polls of a feed that sets none."
    )
    min_interval: float = Field(
        default=60.0, gt=0, description="No feed is polled more often, whatever it asks."
    )
    max_interval: float = Field(
        default=6 * 3600.0, gt=0, description="No healthy feed waits longer, whatever it asks."
    )
    backoff_base: float = Field(default=60.0, gt=0, description="Seconds after a first error.")
    backoff_cap: float = Field(
        default=4 * 3600.0, gt=0, description="The longest wait after errors; re-probed forever."
    )
    seen_window: int = Field(
        default=100,
        ge=1,
        le=10_000,  # 40 bytes an item in the state record, which must stay well under 1 MiB
        description="Items remembered per feed, beyond those it carries now.",
    )
    feed_group_id: str | None = Field(
        default=None,
        description="The consumer group in which ingest replicas split the feed list. "
        "Default: `newswire-ingest.<feed-list topic>`.",
    )
    revoke_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for the polls in flight when feeds move to another replica; "
        "what slower ones find is dropped, and the new owner polls their feeds again.",
    )
    max_concurrent_polls: int = Field(default=16, ge=1, description="Feeds polled at once.")
    max_polls_per_host: int = Field(default=2, ge=1, description="Feeds of one host at once.")

    @model_validator(mode="after")
    def _ordered_bounds(self) -> "IngestSettings":
        if self.min_interval > self.max_interval:
            raise ValueError("NEWSWIRE_MIN_INTERVAL must not be larger than NEWSWIRE_MAX_INTERVAL")
        if self.backoff_base > self.backoff_cap:
            raise ValueError("NEWSWIRE_BACKOFF_BASE must not be larger than NEWSWIRE_BACKOFF_CAP")
        return self

    def producer_transactional_id(self, once: bool) -> str:
        """One writer per state topic and host: a restart on the same host fences the process it
        replaces, which completes or aborts that process's open transaction before state is read.
        A one-shot run is a writer of its own: beside the service on its host, it would fence it.
        """
        replica = (
            self.transactional_id
            or f"newswire-ingest.{self.topics.ingest_state}.{socket.gethostname()}"
        )
        return f"{replica}.once" if once else replica

    @property
    def feed_group(self) -> GroupConfig:
        return GroupConfig(
            topic=self.topics.ingest_feeds,
            group_id=self.feed_group_id or f"newswire-ingest.{self.topics.ingest_feeds}",
            session_timeout=self.session_timeout,
            heartbeat_interval=self.heartbeat_interval_ms / 1000,
            revoke_timeout=self.revoke_timeout,
        )

"""The ingest service's settings, built once in its entry point."""

from pathlib import Path

from pydantic import Field

from newswire.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    seeds_dir: Path = Path("seeds")
    seed_scan_interval: float = Field(
        default=10.0, gt=0, description="Seconds between looks for new or changed seed files."
    )
    publish_timeout: float = Field(
        default=60.0, gt=0, description="Seconds to wait for Kafka to acknowledge a batch."
    )

"""The enrich service's settings, built once in its entry point."""

from typing import Literal

from pydantic import Field

from newswire.settings import ServiceSettings


class EnrichSettings(ServiceSettings):
    metrics_port: int = Field(default=9102, ge=0, le=65535)
    group_id: str = "newswire-enrich"
    delivery: Literal["exactly_once", "at_least_once"] = "exactly_once"
    batch_size: int = Field(
        default=32, ge=1, le=500, description="Records tagged together; bounds time per poll."
    )
    max_record_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Larger raw records are dead-lettered."
    )
    lag_interval: float = Field(default=5.0, gt=0, description="Seconds between lag readings.")

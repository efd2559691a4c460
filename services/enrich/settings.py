"""The enrich service's settings, built once in its entry point."""

import math
from typing import Literal

from pydantic import Field

from newswire.kafka.clients import MAX_RECORD_BYTES
from newswire.settings import ServiceSettings

# A member that does not poll within max.poll.interval.ms is thought stuck and leaves its group
# mid-batch; that interval is the worst batch's time multiplied by this margin.
POLL_INTERVAL_MARGIN = 1.5


class EnrichSettings(ServiceSettings):
    metrics_port: int = Field(default=9102, ge=0, le=65535)
    group_id: str = "newswire-enrich"
    delivery: Literal["exactly_once", "at_least_once"] = "exactly_once"
    batch_size: int = Field(
        default=32, ge=1, le=500, description="Records tagged and committed together."
    )
    max_record_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        # kafka-python refuses to send more, whatever the broker takes.
        le=MAX_RECORD_BYTES,
        description="Larger raw records are dead-lettered without their value, and so are raw "
        "records whose enriched record would be larger. No more than the topics' "
        "max.message.bytes (Kafka's default: 1 MiB), which the broker would refuse.",
    )
    lag_interval: float = Field(default=5.0, gt=0, description="Seconds between lag readings.")
    article_seconds_max: float = Field(
        default=2.5,
        gt=0,
        description="Worst time to tag one article (NER reads at most 100,000 characters).",
    )
    commit_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for a commit, an abort, a read of the committed offsets, or "
        "a new client's first answer from Kafka.",
    )
    close_timeout: float = Field(
        default=1.5,
        gt=0,
        description="Longest wait for each step of closing: aborting an open transaction, "
        "closing the producer, closing the consumer (SIGTERM must end within 10 s).",
    )

    @property
    def max_poll_interval_ms(self) -> int:
        """Longest time allowed between two polls, so a batch never outlasts it.

        The worst batch: every article at `article_seconds_max`, twice (tagged together, then
        one by one after the batch failed), plus its commit and one abort, with a margin.
        """
        worst = 2 * self.batch_size * self.article_seconds_max + 2 * self.commit_timeout
        return math.ceil(worst * POLL_INTERVAL_MARGIN * 1000)

"""Structured logs: one JSON object per line (or plain text for a person at a terminal)."""

import logging
import math
import sys
import time

from kafka.errors import UnstableOffsetCommitError
from pythonjsonlogger.json import JsonFormatter

# How long after saying that committed offsets wait on a transaction the repeats stay unsaid.
OFFSETS_WAIT_REPEAT_S = 60.0


class OffsetsWaitFilter(logging.Filter):
    """kafka-python logs "Unknown error fetching offsets" at ERROR ten times a second while Kafka
    holds back a group's committed offsets because a transaction that carries offsets for them
    is still open (UNSTABLE_OFFSET_COMMIT, KIP-447). After a member died mid-transaction that
    lasts until the broker aborts it, up to the transaction timeout: Kafka keeping exactly-once,
    and the consumer goes on by itself once it ends. So it is said as a warning that says so,
    once a minute at most, not as a hundred errors."""

    def __init__(self) -> None:
        super().__init__()
        self._said_at = -math.inf

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if not any(isinstance(arg, UnstableOffsetCommitError) for arg in args):
            return True
        now = time.monotonic()
        if now - self._said_at < OFFSETS_WAIT_REPEAT_S:
            return False
        self._said_at = now
        record.msg, record.args = (
            "committed offsets are held back until an open transaction on them ends; "
            "the consumer waits for it (%s)",
            (record.getMessage(),),
        )
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python logs every reconnect attempt at WARNING/ERROR; our own lines say what matters.
    logging.getLogger("kafka").setLevel(max(logging.getLevelName(level), logging.ERROR))
    coordinator = logging.getLogger("kafka.coordinator.consumer")
    for earlier in [f for f in coordinator.filters if isinstance(f, OffsetsWaitFilter)]:
        coordinator.removeFilter(earlier)  # configured again: the new filter replaces it
    coordinator.addFilter(OffsetsWaitFilter())

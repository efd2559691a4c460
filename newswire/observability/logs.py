"""Structured logs: one JSON object per line (or plain text for a person at a terminal)."""

import json
import logging
import math
import re
import sys
import threading
import time

from kafka.errors import UnstableOffsetCommitError
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from newswire.render import shown

# How long a kafka-python message, once said, stays unsaid when it comes again.
KAFKA_REPEAT_S = 60.0
# Bounds the memory of messages said: kafka-python's come from a few hundred format strings.
_REMEMBERED = 1000


_BARE_VALUE = re.compile(r"[^\s\"=\\]+")  # said as it is; anything else is quoted, as JSON


class TextFormatter(logging.Formatter):
    """A line for a person: time, level, logger, message, then the fields the services log with
    it (`seed=seeds/c.jsonl:2 reason=invalid_json`), which say what and why as the JSON format's
    keys do. Quoted values escape control characters, so a feed's text cannot drive the terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [
            f"{key}={_field_value(value)}"
            for key, value in record.__dict__.items()
            if key not in RESERVED_ATTRS and not key.startswith("_")
        ]
        if not fields:
            return line
        first, newline, traceback = line.partition("\n")
        return f"{first} {' '.join(fields)}{newline}{traceback}"


def _field_value(value: object) -> str:
    if isinstance(value, str) and _BARE_VALUE.fullmatch(value) and value.isprintable():
        return value
    return shown(json.dumps(value, ensure_ascii=False, default=str))  # C1 and bidi escaped too


class KafkaRepeatFilter(logging.Filter):
    """kafka-python says every failed reconnect, metadata refresh and request at ERROR: while
    Kafka is down, several lines a second per client, which bury the lines that say what matters
    (the services' own "cannot reach Kafka", readiness). Each of its messages (by logger and
    format string) is said once a minute at most, with how many like it were held back."""

    def __init__(self) -> None:
        super().__init__()
        self._said: dict[tuple[str, object], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "kafka" and not record.name.startswith("kafka."):
            return True
        key, now = (record.name, record.msg), time.monotonic()
        with self._lock:
            said_at, held = self._said.get(key, (-math.inf, 0))
            if now - said_at < KAFKA_REPEAT_S:
                self._said[key] = (said_at, held + 1)
                return False
            if len(self._said) >= _REMEMBERED:
                self._said.clear()
            self._said[key] = (now, 0)
        if held:
            record.msg, record.args = f"{record.getMessage()} ({held} more like it held back)", ()
        return True


class OffsetsWaitFilter(logging.Filter):
    """kafka-python logs "Unknown error fetching offsets" at ERROR ten times a second while Kafka
    holds back a group's committed offsets because a transaction that carries offsets for them
    is still open (UNSTABLE_OFFSET_COMMIT, KIP-447). After a member died mid-transaction that
    lasts until the broker aborts it, up to the transaction timeout: Kafka keeping exactly-once,
    and the consumer goes on by itself once it ends. So it is said as a warning that says so
    (which `KafkaRepeatFilter` then lets through once a minute), not as a hundred errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if any(isinstance(arg, UnstableOffsetCommitError) for arg in args):
            record.msg, record.args = (
                "committed offsets are held back until an open transaction on them ends; "
                "the consumer waits for it (%s)",
                (record.getMessage(),),
            )
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class ClosedTransportFilter(logging.Filter):
    """kafka-python 3.0.12 can read from a connection it closed meanwhile (while a client
    closes, `_read_from_sock` wakes after `close` dropped the socket) and logs the `recv` on
    `None` as an ERROR with a traceback. Nothing was lost: the connection was being closed on
    purpose. Such a line is dropped; a receive error on an open connection is still said."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        transport = args[0] if args else None
        closed = getattr(transport, "is_closing", None)
        return not (record.exc_info and callable(closed) and closed())


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
        handler.setFormatter(TextFormatter())
    handler.addFilter(KafkaRepeatFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python logs every reconnect attempt at WARNING/ERROR; our own lines say what matters.
    logging.getLogger("kafka").setLevel(max(logging.getLevelName(level), logging.ERROR))
    _replace_filter("kafka.coordinator.consumer", OffsetsWaitFilter())
    _replace_filter("kafka.net.transport", ClosedTransportFilter())


def _replace_filter(logger_name: str, new: logging.Filter) -> None:
    """Installs `new` on the logger; configured again, it replaces the one installed before."""
    logger = logging.getLogger(logger_name)
    for earlier in [f for f in logger.filters if type(f) is type(new)]:
        logger.removeFilter(earlier)
    logger.addFilter(new)

"""The list of feeds, reloaded without a restart: on SIGHUP, or when its file changes.

A changed file is read once it has stayed the same for a whole look, and on SIGHUP once it has
stayed the same for `SIGHUP_SETTLE_SECONDS`: one still being written can be valid YAML cut short
(a list missing its last feeds, a URL cut mid-line), which would drop feeds from every replica.
A file that cannot be used on reload (a typo) keeps the previous list in service and logs why;
it is tried again when it changes again or on the next SIGHUP.
"""

import logging
import signal
import threading
import time
from pathlib import Path

from newswire.errors import ConfigError
from services.ingest import metrics
from services.ingest.feeds import FeedConfig, load_feeds

log = logging.getLogger(__name__)

Fingerprint = tuple[int, int, int] | None

# Long enough for a program's save to finish, short enough that an operator barely waits.
SIGHUP_SETTLE_SECONDS = 1.0


class FeedList:
    """The feeds of `path` (none without a path), watched every `interval` seconds."""

    def __init__(self, path: Path | None, interval: float) -> None:
        self._path = path
        self._interval = interval
        self._hangup = threading.Event()
        self._next_look = 0.0
        self._fingerprint: Fingerprint = None  # of the file as last read
        self._changing: Fingerprint = None  # of the file as last seen, when not as last read
        # After a SIGHUP: the file as last seen, and since when (monotonic) it has looked so.
        self._hangup_seen: tuple[Fingerprint, float] | None = None

    def load(self) -> list[FeedConfig]:
        """The feeds as the file holds them now; a broken file raises `ConfigError`."""
        if self._path is None:
            return []
        self._fingerprint, self._changing = _fingerprint(self._path), None
        self._next_look = time.monotonic() + self._interval
        feeds = load_feeds(self._path)
        log.info("feeds loaded", extra={"path": str(self._path), "feeds": len(feeds)})
        return feeds

    def reload_on_sighup(self) -> None:
        """Makes SIGHUP ask for a reload (from the main thread, as Python signals require)."""
        signal.signal(signal.SIGHUP, lambda _signum, _frame: self._hangup.set())

    def changed(self) -> list[FeedConfig] | None:
        """The new list if a reload is due and the file is usable, else None (keep the old)."""
        if self._path is None or not self._reload_due(self._path):
            return None
        try:
            feeds = self.load()
        except ConfigError as exc:
            metrics.FEED_LIST_RELOADS.labels("error").inc()
            log.error("feeds file not reloaded; the previous list stays", extra={"error": str(exc)})
            return None
        metrics.FEED_LIST_RELOADS.labels("ok").inc()
        return feeds

    def _reload_due(self, path: Path) -> bool:
        if self._hangup.is_set():
            return self._settled_after_hangup(path)
        if time.monotonic() < self._next_look:
            return False
        self._next_look = time.monotonic() + self._interval
        seen = _fingerprint(path)
        if seen == self._fingerprint:
            self._changing = None
            return False
        if seen != self._changing:
            self._changing = seen  # changed since the last look: read once it stays as it is
            return False
        log.info("reloading feeds", extra={"cause": "file changed"})
        return True

    def _settled_after_hangup(self, path: Path) -> bool:
        """Whether the file has stayed the same long enough since SIGHUP, or since it changed."""
        seen, now = _fingerprint(path), time.monotonic()
        if self._hangup_seen is None or self._hangup_seen[0] != seen:
            self._hangup_seen = (seen, now)
            return False
        if now - self._hangup_seen[1] < SIGHUP_SETTLE_SECONDS:
            return False
        self._hangup.clear()
        self._hangup_seen = None
        log.info("reloading feeds", extra={"cause": "SIGHUP"})
        return True


def _fingerprint(path: Path) -> Fingerprint:
    """What changes when the file is edited in place or replaced (editors do either)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

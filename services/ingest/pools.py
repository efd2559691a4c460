"""HTTP connections to feed servers, pooled per origin (scheme, host and port).

httpcore 1.0.9's pool goes over every connection it keeps, once for each of its idle ones, each
time a request starts and each time a response is closed (encode/httpcore#1035, not merged). So
the CPU a fetch costs grows with the square of the number of hosts ingest keeps connections to:
fetching a farm of 64 hosts, 16 at a time, took 3.9 ms of CPU per fetch with one pool and 1.0 ms
with a pool per origin.

`OriginPools` keeps a small httpcore pool per origin and bounds them together: connections in use
across all origins (`max_in_flight`; a request waits at most its pool timeout for one), idle
connections per origin (the pool's own keep-alive limit), and how long an origin's pool outlives
its last use: it is closed at the first request to any origin `keepalive_expiry` after, so the
sockets to a host polled once an hour are not kept open for that hour while other hosts are polled.
"""

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import httpcore

OriginKey = tuple[bytes, bytes, int]  # scheme, host, port


@dataclass(slots=True)
class _Entry:
    pool: httpcore.ConnectionPool
    in_flight: int = 0
    checked_out_at: float = 0.0  # the order of `OriginPools._pools`
    idle_since: float = 0.0


class OriginPools:
    """Stands in for httpx's connection pool (httpx calls `handle_request` and `close`); safe to
    use from several threads at once."""

    def __init__(
        self,
        new_pool: Callable[[], httpcore.ConnectionPool],
        max_in_flight: int,
        keepalive_expiry: float,
    ) -> None:
        self._new_pool = new_pool
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._expiry = keepalive_expiry
        self._lock = threading.Lock()
        self._pools: dict[OriginKey, _Entry] = {}  # least recently checked out first

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        timeouts = request.extensions.get("timeout", {})
        if not self._slots.acquire(timeout=timeouts.get("pool")):
            raise httpcore.PoolTimeout("no connection became free within the pool timeout")
        try:
            entry = self._check_out(request.url.origin)
        except BaseException:
            self._slots.release()
            raise
        try:
            response = entry.pool.handle_request(request)
        except BaseException:
            self._check_in(entry)
            raise
        assert isinstance(response.stream, Iterable)  # a sync pool's, as httpx asserts too
        response.stream = _Released(response.stream, lambda: self._check_in(entry))
        return response

    def close(self) -> None:
        with self._lock:
            entries, self._pools = list(self._pools.values()), {}
        for entry in entries:
            entry.pool.close()

    def _check_out(self, origin: httpcore.Origin) -> _Entry:
        now = time.monotonic()
        with self._lock:
            expired = self._take_expired(now)
            key = (origin.scheme, origin.host, origin.port)
            entry = self._pools.pop(key, None) or _Entry(self._new_pool())
            entry.in_flight += 1
            entry.checked_out_at = now
            self._pools[key] = entry
        for old in expired:
            old.pool.close()
        return entry

    def _check_in(self, entry: _Entry) -> None:
        with self._lock:
            entry.in_flight -= 1
            entry.idle_since = time.monotonic()
        self._slots.release()

    def _take_expired(self, now: float) -> list[_Entry]:
        """The pools of origins nothing was sent to for `keepalive_expiry`, and none is in use;
        only the oldest are looked at, up to the first one checked out since."""
        cutoff = now - self._expiry
        expired: list[OriginKey] = []
        for key, entry in self._pools.items():
            if entry.checked_out_at >= cutoff:
                break
            if entry.in_flight == 0 and entry.idle_since < cutoff:
                expired.append(key)
        return [self._pools.pop(key) for key in expired]


class _Released:
    """A response's body that gives its connection back, once, when it is closed."""

    def __init__(self, stream: Iterable[bytes], release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._stream)

    def close(self) -> None:
        release, self._release = self._release, None
        try:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
        finally:
            if release is not None:
                release()

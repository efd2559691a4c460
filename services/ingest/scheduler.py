"""Which feeds to poll now: each feed's due time, within a global and a per-host limit.

Feeds are keyed by their configured URL; each is due once at a time (scheduling it again moves its
due time) and, once started, is not started again before `finish`. The limits count fetches, which
end at `fetched`: a feed whose response is in hand but not yet committed gives its slot to the next
feed, so fetching goes on while Kafka commits. A due feed whose host is at its limit waits in that
host's queue, so one slow host holds back only its own feeds. Times are Unix seconds, the same
clock the state records use.
"""

import heapq
from collections import deque
from urllib.parse import urlsplit


class Scheduler:
    def __init__(self, max_in_flight: int, max_per_host: int) -> None:
        self._max_in_flight = max_in_flight
        self._max_per_host = max_per_host
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, tuple[float, int]] = {}  # the live heap entry of each feed
        self._host: dict[str, str] = {}
        self._waiting: dict[str, deque[str]] = {}  # due, by host, in due order
        self._running: dict[str, int] = {}  # fetches under way, by host
        self._fetching: set[str] = set()
        self._in_flight: set[str] = set()  # started, not finished: fetching or being committed
        self._sequence = 0

    @property
    def idle(self) -> bool:
        """Nothing scheduled, waiting or in flight."""
        return not (self._due or self._waiting or self._in_flight)

    def schedule(self, feed: str, at: float, poll_url: str) -> None:
        """Poll `feed` (from `poll_url`, whose host counts against the limit) at `at`.

        Ignored while the feed is in flight: whoever handles its result schedules it again.
        """
        if feed in self._in_flight:
            return
        self._unqueue(feed)
        self._host[feed] = urlsplit(poll_url).hostname or ""
        self._sequence += 1
        self._due[feed] = (at, self._sequence)
        heapq.heappush(self._heap, (at, self._sequence, feed))

    def remove(self, feed: str) -> None:
        """Forget a feed that is no longer configured; a poll in flight still finishes."""
        self._unqueue(feed)
        if feed not in self._in_flight:
            self._host.pop(feed, None)

    def start(self, now: float) -> list[str]:
        """The feeds to poll now; each counts as fetching until `fetched` and as in flight
        until `finish`."""
        while self._heap and self._heap[0][0] <= now:
            at, sequence, feed = heapq.heappop(self._heap)
            if self._due.get(feed) == (at, sequence):
                del self._due[feed]
                self._waiting.setdefault(self._host[feed], deque()).append(feed)
        started: list[str] = []
        # Round-robin over hosts, one feed each per turn, so no host starves the others.
        while len(self._fetching) < self._max_in_flight:
            ready = [
                host
                for host, queue in self._waiting.items()
                if queue and self._running.get(host, 0) < self._max_per_host
            ]
            if not ready:
                break
            for host in ready[: self._max_in_flight - len(self._fetching)]:
                feed = self._waiting[host].popleft()
                if not self._waiting[host]:
                    del self._waiting[host]
                self._running[host] = self._running.get(host, 0) + 1
                self._fetching.add(feed)
                self._in_flight.add(feed)
                started.append(feed)
        return started

    def fetched(self, feed: str) -> None:
        """The fetch of `feed` is over: its slot goes to another feed; it stays in flight."""
        if feed not in self._fetching:
            return
        self._fetching.remove(feed)
        host = self._host.get(feed, "")
        self._running[host] = self._running.get(host, 1) - 1
        if self._running[host] <= 0:
            del self._running[host]

    def finish(self, feed: str) -> None:
        """The poll of `feed` is over, committed or not; schedule it again to poll it again."""
        self.fetched(feed)
        self._in_flight.discard(feed)

    def next_due(self) -> float | None:
        """When the earliest scheduled feed is due, if any is (waiting ones are due already)."""
        while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][:2]:
            heapq.heappop(self._heap)  # a stale entry of a feed rescheduled or removed
        return self._heap[0][0] if self._heap else None

    def _unqueue(self, feed: str) -> None:
        self._due.pop(feed, None)  # its heap entry turns stale and is skipped
        host = self._host.get(feed, "")
        queue = self._waiting.get(host)
        if queue is not None and feed in queue:
            queue.remove(feed)
            if not queue:
                del self._waiting[host]

"""Waiting in a test for something another process or thread does."""

import time
from collections.abc import Callable

import httpx

POLL_INTERVAL = 0.2


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> float:
    """Polls `condition` until it holds; returns the seconds that took, or fails the test saying
    `what` did not happen. A condition that asks an endpoint not listening yet (an HTTP error)
    does not hold."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if condition():
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(POLL_INTERVAL)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

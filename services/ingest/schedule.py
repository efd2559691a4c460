"""When to poll a feed next: pure functions of what the feed and its server said.

After a success the delay is the longest of what was asked for: the configured interval, the
feed's `<ttl>`, the response's Cache-Control max-age, Expires and Retry-After, and how often the
feed actually publishes (a feed with one item a day is not polled every few minutes). After an
error it grows exponentially with jitter up to a cap, and never stops: a failing feed keeps being
re-probed at the cap, so it recovers on its own once its server does.
"""

import random
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from statistics import median

# The typical gap is the median over at most this many of the newest items: enough to be robust
# to one odd date, few enough to follow a feed whose rhythm changed.
PUBLISHING_WINDOW = 20


def next_poll_delay(
    configured_interval: float,
    ttl: float | None,
    cache_max_age: float | None,
    expires: float | None,
    retry_after: float | None,
    min_interval: float,
    max_interval: float,
    recent_item_times: Sequence[datetime],
) -> float:
    """Seconds until the next poll after a successful one; every hint is in seconds."""
    hints = [ttl, cache_max_age, expires, retry_after, publishing_interval(recent_item_times)]
    delay = max([configured_interval, *(hint for hint in hints if hint is not None)])
    return min(max(delay, min_interval), max_interval)


def publishing_interval(item_times: Sequence[datetime]) -> float | None:
    """The typical gap in seconds between the feed's newest items, if it has two distinct times.

    The median of consecutive gaps, so one item with a wrong date does not move it much.
    """
    times = sorted(set(item_times), reverse=True)[:PUBLISHING_WINDOW]
    if len(times) < 2:
        return None
    return median((newer - older).total_seconds() for newer, older in pairwise(times))


def error_backoff(
    error_streak: int,
    base: float,
    cap: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """Seconds until the next try after `error_streak` failures in a row (1 after the first).

    `base * 2**(streak-1)`, capped, then jittered down by up to half so that feeds failing
    together (one host down) spread out. A Retry-After the server sent (429, 503) is honoured
    up to the cap, so a hostile value cannot park the feed for good.
    """
    if error_streak < 1:
        raise ValueError(f"error_streak counts failures and starts at 1, got {error_streak}")
    # The exponent is bounded so that a streak of thousands stays a float, not an overflow.
    delay = min(cap, base * 2.0 ** min(error_streak - 1, 64))
    jittered = delay * (0.5 + rng.random() / 2)
    return min(cap, max(jittered, retry_after or 0.0))

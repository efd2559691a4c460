import random
from datetime import UTC, datetime, timedelta

import pytest

from services.ingest.schedule import error_backoff, next_poll_delay, publishing_interval

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def every(gap: timedelta, count: int) -> list[datetime]:
    return [NOW - gap * n for n in range(count)]


def delay(**hints: float | None) -> float:
    """The delay for a feed configured at 900 s, with no items, given some hints."""
    return next_poll_delay(
        configured_interval=900.0,
        ttl=hints.get("ttl"),
        cache_max_age=hints.get("cache_max_age"),
        expires=hints.get("expires"),
        retry_after=hints.get("retry_after"),
        min_interval=60.0,
        max_interval=86_400.0,
        recent_item_times=[],
    )


def test_without_hints_the_configured_interval_holds() -> None:
    assert delay() == 900.0


@pytest.mark.parametrize("hint", ["ttl", "cache_max_age", "expires", "retry_after"])
def test_the_longest_hint_wins(hint: str) -> None:
    assert delay(**{hint: 3600.0}) == 3600.0
    assert delay(**{hint: 10.0}) == 900.0  # a hint never makes polling faster than configured


def test_bounds_apply_to_everything() -> None:
    assert delay(retry_after=10 * 86_400.0) == 86_400.0
    assert next_poll_delay(5.0, None, None, None, None, 60.0, 3600.0, recent_item_times=[]) == 60.0


def test_a_feed_that_publishes_rarely_is_polled_rarely() -> None:
    daily = every(timedelta(days=1), 10)
    assert next_poll_delay(900.0, None, None, None, None, 60.0, 86_400.0, daily) == 86_400.0
    hourly = every(timedelta(hours=1), 10)
    assert next_poll_delay(900.0, None, None, None, None, 60.0, 86_400.0, hourly) == 3600.0
    busy = every(timedelta(minutes=1), 10)  # never faster than configured
    assert next_poll_delay(900.0, None, None, None, None, 60.0, 86_400.0, busy) == 900.0


def test_publishing_interval_is_robust() -> None:
    assert publishing_interval([]) is None
    assert publishing_interval([NOW, NOW, NOW]) is None  # one distinct time says nothing
    hourly = every(timedelta(hours=1), 10)
    assert publishing_interval([*hourly, NOW - timedelta(days=3000)]) == 3600.0
    assert publishing_interval(list(reversed(hourly))) == 3600.0


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    rng = random.Random(7)
    delays = [error_backoff(streak, 60.0, 3600.0, rng) for streak in range(1, 12)]
    for streak, value in enumerate(delays, start=1):
        full = min(3600.0, 60.0 * 2 ** (streak - 1))
        assert full / 2 <= value <= full
    assert max(delays) <= 3600.0


def test_a_failing_feed_is_never_abandoned() -> None:
    rng = random.Random(1)
    assert 1800.0 <= error_backoff(100_000, 60.0, 3600.0, rng) <= 3600.0


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    rng = random.Random(3)
    assert error_backoff(1, 60.0, 3600.0, rng, retry_after=600.0) == 600.0
    assert error_backoff(1, 60.0, 3600.0, rng, retry_after=10 * 86_400.0) == 3600.0


def test_jitter_spreads_feeds_that_fail_together() -> None:
    rng = random.Random(11)
    assert len({error_backoff(5, 60.0, 3600.0, rng) for _ in range(20)}) == 20


def test_streak_starts_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        error_backoff(0, 60.0, 3600.0, random.Random(0))

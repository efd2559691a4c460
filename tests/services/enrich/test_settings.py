"""The enrich settings that keep a batch inside the consumer group's patience."""

from services.enrich.settings import EnrichSettings


def test_the_poll_interval_covers_the_worst_batch_twice_with_a_margin() -> None:
    settings = EnrichSettings(metrics_port=0)
    worst_batch = settings.batch_size * settings.article_seconds_max
    assert settings.max_poll_interval_ms / 1000 >= 1.5 * (2 * worst_batch + settings.commit_timeout)
    bigger = EnrichSettings(metrics_port=0, batch_size=4 * settings.batch_size)
    assert bigger.max_poll_interval_ms > 3 * settings.max_poll_interval_ms


def test_heartbeats_come_three_times_per_session() -> None:
    assert EnrichSettings(metrics_port=0, session_timeout=6).heartbeat_interval_ms == 2000
    assert EnrichSettings(metrics_port=0, session_timeout=45).heartbeat_interval_ms == 3000

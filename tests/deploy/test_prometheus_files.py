"""promtool accepts the shipped Prometheus configuration and rules; the rules' unit tests pass."""

import subprocess
from pathlib import Path

from tests.deploy.files import ALERT_TESTS, ALERTS, PROMETHEUS_CONFIG, required_tool


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [required_tool("promtool"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_promtool_accepts_the_scrape_configuration() -> None:
    result = promtool("check", "config", PROMETHEUS_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alerting_rules() -> None:
    result = promtool("check", "rules", ALERTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_fire_on_what_they_are_named_for_and_stay_quiet_otherwise() -> None:
    result = promtool("test", "rules", ALERT_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr

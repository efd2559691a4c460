"""`newswire run --once`: what a person sees on a fresh machine."""

import subprocess
import sys

import pytest

from tests.conftest import REPO


def run_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newswire", "run", "--once"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def assert_shows_the_seed(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "broker: " in out
    assert "seeds: 1 file(s)" in out
    assert "Turkish President Discusses War In Ukraine With Belarus's Lukashenka" in out
    assert "Recep Tayyip Erdogan (PERSON)" in out
    assert "done: 1 articles enriched, 0 dead letters" in out


def test_run_once_on_a_given_broker(service_env: dict[str, str]) -> None:
    assert_shows_the_seed(run_once(service_env))


@pytest.mark.timeout(300)
def test_run_once_starts_its_own_broker(service_env: dict[str, str]) -> None:
    env = {key: value for key, value in service_env.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    result = run_once(env)
    assert "starting the embedded Kafka broker" in result.stdout
    assert_shows_the_seed(result)

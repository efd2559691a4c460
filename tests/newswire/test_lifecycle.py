"""retry_until_stopped: retries while Kafka is away, and gives up at once when asked to stop."""

import signal
import subprocess
import sys
import threading
import time

import pytest

from newswire.errors import ConfigError, KafkaUnavailableError
from newswire.lifecycle import retry_until_stopped


def test_retries_a_retriable_error_until_the_action_succeeds() -> None:
    stop = threading.Event()
    attempts: list[int] = []

    def action() -> str:
        attempts.append(len(attempts))
        if len(attempts) < 2:
            raise KafkaUnavailableError("not yet")
        return "done"

    assert retry_until_stopped(stop, "test", action) == "done"
    assert len(attempts) == 2


def test_an_error_that_is_not_retriable_is_raised_at_once() -> None:
    attempts: list[int] = []

    def action() -> None:
        attempts.append(1)
        raise ConfigError("broken")

    with pytest.raises(ConfigError):
        retry_until_stopped(threading.Event(), "test", action)
    assert attempts == [1]


def test_a_stop_during_the_back_off_raises_the_last_error_without_another_attempt() -> None:
    stop = threading.Event()
    stopped_at_attempt: list[bool] = []

    def action() -> None:
        stopped_at_attempt.append(stop.is_set())
        # The first back-off lasts at least 0.5 s: the stop request comes in the middle of it.
        threading.Timer(0.1, stop.set).start()
        raise KafkaUnavailableError(f"attempt {len(stopped_at_attempt)}")

    with pytest.raises(KafkaUnavailableError, match="attempt"):
        retry_until_stopped(stop, "test", action)
    assert stopped_at_attempt and not any(stopped_at_attempt), stopped_at_attempt


def test_a_second_ctrl_c_ends_the_process_at_once() -> None:
    waiting = (
        "import time\n"
        "from newswire.lifecycle import stop_on_signals\n"
        "stop = stop_on_signals()\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)  # a shutdown that takes its time\n"
    )
    child = subprocess.Popen([sys.executable, "-c", waiting], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    for first in (signal.SIGINT, signal.SIGTERM):  # each asks for a clean stop
        child.send_signal(first)
        time.sleep(0.5)
        assert child.poll() is None
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=10) == 128 + signal.SIGINT

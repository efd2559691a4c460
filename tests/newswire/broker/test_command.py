"""`newswire broker`'s serve(): one ready line, then a clean stop on SIGTERM or SIGINT."""

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SERVE = "import sys; from newswire.broker.command import serve; sys.exit(serve(None, {data_dir}))"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_the_bootstrap_line_and_stops_cleanly(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    code = SERVE.format(data_dir=f"__import__('pathlib').Path({str(tmp_path)!r})")
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"KAFKA_BOOTSTRAP_SERVERS=127\.0\.0\.1:(\d+)\n", line)
        if match is None:
            process.kill()
            pytest.fail(f"no ready line: {line!r}; stderr: {process.communicate()[1]}")
        with socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=5):
            pass

        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()

    assert process.returncode == 0, stderr
    assert stdout == ""
    assert (tmp_path / "kraft" / ".kafka_cleanshutdown").exists()


def test_a_stop_request_while_starting_leaves_no_jvm(tmp_path: Path) -> None:
    code = SERVE.format(data_dir=f"__import__('pathlib').Path({str(tmp_path)!r})")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "logs" / "jvm.out").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=60)
    finally:
        process.kill()

    assert process.returncode == 0, stdout
    # A JVM killed at the stop may take a moment to be gone; one still there after 10 s is left.
    deadline = time.monotonic() + 10
    while (jvms := _processes_of(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert jvms == b""


def _processes_of(path: Path) -> bytes:
    return subprocess.run(["pgrep", "-f", str(path)], capture_output=True, check=False).stdout

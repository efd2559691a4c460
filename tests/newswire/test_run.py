"""`newswire run --once`: what a person sees on a fresh machine."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from newswire.errors import ConfigError
from newswire.run import STATUS_PORT, service_ports, status_port
from tests.conftest import REPO
from tests.services.ingest.farm import FeedFarm, Item, write_yaml
from tests.services.ingest.test_fetch import FeedServer
from tests.waiting import wait_for


def run_once(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newswire", "run", "--once", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def assert_shows_the_seed(result: subprocess.CompletedProcess[str], status: int = 0) -> None:
    assert result.returncode == status, result.stderr
    out = result.stdout
    assert "broker: " in out
    assert "seeds: 1 file(s)" in out
    assert "Turkish President Discusses War In Ukraine With Belarus's Lukashenka" in out
    assert "Recep Tayyip Erdogan (PERSON)" in out
    assert "done: 1 articles enriched, 0 dead letters" in out


def test_run_once_on_a_given_broker(service_env: dict[str, str]) -> None:
    assert_shows_the_seed(run_once(service_env))


def test_run_once_polls_the_feeds_file_it_is_given(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    with FeedServer() as server:
        farm = FeedFarm(server)
        story = Item("1", "Parliament in Berlin passes the budget", "Lawmakers voted on Friday.")
        feeds_file = write_yaml(tmp_path / "feeds.yaml", {"wire": farm.add("wire", "rss", [story])})
        env = service_env | {"NEWSWIRE_ALLOW_PRIVATE_ADDRESSES": "1"}
        result = run_once(env, "--feeds", str(feeds_file))
    assert result.returncode == 0, result.stderr
    assert f"feeds: {feeds_file} (1 of 1 enabled)" in result.stdout
    assert "Parliament in Berlin passes the budget" in result.stdout
    assert "done: 2 articles enriched, 0 dead letters" in result.stdout  # and the seed


def test_run_once_that_reads_no_feed_enriches_the_seeds_and_says_so(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    with FeedServer() as server:  # it has no feed: every request is a 404
        feeds_file = write_yaml(tmp_path / "feeds.yaml", {"gone": server.url("/gone.xml")})
        env = service_env | {"NEWSWIRE_ALLOW_PRIVATE_ADDRESSES": "1"}
        result = run_once(env, "--feeds", str(feeds_file))
    assert_shows_the_seed(result, status=3)  # ingest's: feeds were polled, none could be read
    assert "ingest could read none of the feeds (its log says why)" in result.stdout
    assert "failed with exit code" not in result.stdout


def test_a_broken_feeds_file_is_reported_before_a_broker_is_started(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    env = {key: value for key, value in service_env.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text("feeds:\n  - url: http://a.example/feed\n   name: [")
    result = run_once(env, "--feeds", str(feeds_file))
    assert result.returncode == 2
    assert result.stderr.startswith(f"newswire: error: {feeds_file}: ")
    assert "broker" not in result.stdout


@pytest.mark.timeout(300)
def test_run_once_starts_its_own_broker(service_env: dict[str, str]) -> None:
    env = {key: value for key, value in service_env.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    result = run_once(env)
    assert "starting the embedded Kafka broker" in result.stdout
    assert_shows_the_seed(result)


def test_status_port_0_is_any_free_port_as_its_error_message_advises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two runs started together both chose 8080, and the second, told to set 0, chose it again.
    monkeypatch.setenv("NEWSWIRE_STATUS_PORT", "0")
    assert status_port() != STATUS_PORT
    monkeypatch.setenv("NEWSWIRE_STATUS_PORT", "47600")
    assert status_port() == 47600


def test_the_services_ports_follow_newswire_metrics_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_METRICS_PORT", "47500")
    assert (service_ports().ingest, service_ports().enrich) == (47500, 47501)
    for wrong in ("http", "65535"):  # enrich's would be 65536
        monkeypatch.setenv("NEWSWIRE_METRICS_PORT", wrong)
        with pytest.raises(ConfigError, match="invalid setting NEWSWIRE_METRICS_PORT"):
            service_ports()


def test_a_default_port_in_use_on_any_address_is_not_given_to_a_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The services listen on every address: a port some process holds on one of them is taken.
    monkeypatch.delenv("NEWSWIRE_METRICS_PORT", raising=False)
    with socket.socket() as held:
        try:
            held.bind(("127.0.0.2", 9102))
            held.listen()
        except OSError:
            pass  # taken already, which is as good
        assert service_ports().enrich != 9102


@pytest.mark.parametrize(
    ("signum", "whom"),
    [
        (signal.SIGHUP, "group"),  # the terminal closed: run and its services get SIGHUP
        (signal.SIGKILL, "run"),  # run killed outright
    ],
)
def test_the_services_of_run_end_with_it(
    service_env: dict[str, str], signum: signal.Signals, whom: str
) -> None:
    run = subprocess.Popen(
        [sys.executable, "-m", "newswire", "run", "--seeds", str(REPO / "seeds")],
        cwd=REPO,
        env={**service_env, "NEWSWIRE_STATUS_PORT": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a group of its own, as a terminal gives it
    )
    try:
        wait_for(lambda: len(services_of(run.pid)) == 2, 60, "ingest and enrich started")
        services = [psutil.Process(pid) for pid in services_of(run.pid)]
        if whom == "group":
            os.killpg(run.pid, signum)
            assert run.wait(timeout=30) == 0  # a stop, as Ctrl-C
        else:
            run.send_signal(signum)
            run.wait(timeout=10)
        _, alive = psutil.wait_procs(services, timeout=30)
        assert alive == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()


def services_of(pid: int) -> list[int]:
    """The ingest and enrich processes `newswire run` (process `pid`) started."""
    try:
        children = psutil.Process(pid).children()
        return [
            child.pid
            for child in children
            if {"ingest", "enrich"} & set(child.cmdline())
            and child.status() != psutil.STATUS_ZOMBIE
        ]
    except psutil.Error:  # a process that ended meanwhile
        return []


def test_ctrl_c_while_the_broker_formats_its_storage_is_a_stop_not_a_failure(
    tmp_path: Path,
) -> None:
    env = {key: value for key, value in os.environ.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    run = subprocess.Popen(
        [sys.executable, "-m", "newswire", "run", "--once", "--seeds", str(REPO / "seeds")],
        cwd=tmp_path,
        env={**env, "NEWSWIRE_STATUS_PORT": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal gives it
    )
    try:
        wait_for(lambda: _storage_tool_runs(run.pid), 120, "the storage tool started")
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the terminal's whole foreground group
        out, err = run.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert run.returncode == 130, (out, err)
    assert "formatting Kafka storage" not in out + err


def _storage_tool_runs(pid: int) -> bool:
    try:
        children = psutil.Process(pid).children(recursive=True)
        return any("kafka.tools.StorageTool" in child.cmdline() for child in children)
    except psutil.Error:  # a process that ended meanwhile
        return False

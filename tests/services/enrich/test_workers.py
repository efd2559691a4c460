"""`newswire enrich --workers N` on the real broker: shared work, clean stop, a failed worker."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import psutil
import pytest
from kafka import KafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from newswire.errors import ConfigError
from newswire.kafka.serde import ArticleSerializer, Headers
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from schemas import Source, SourceKind
from services.enrich.settings import EnrichSettings
from services.enrich.workers import (
    PRELOAD,
    STOP_GRACE,
    supervise,
    warn_unless_preloaded,
    worker_settings,
)
from services.ingest.normalize import ArticleDraft, build_article
from tests.conftest import free_ports, read_topic
from tests.waiting import wait_for

ARTICLES = 100
# Idle seconds before a drained worker exits, counted from its start: long enough for the later
# of the two to join the group, be given partitions and be seen with them on its endpoint.
UNTIL_IDLE = "8"
# Set to a tag of its own in each replica's environment.
REPLICA_VARIABLE = "TEST_ENRICH_REPLICA"


class Replica:
    """A `newswire enrich --workers 2` process, its stderr's JSON lines collected as they come."""

    def __init__(self, env: dict[str, str], metrics_port: int, *args: str) -> None:
        self.metrics_port = metrics_port
        self.tag = uuid.uuid4().hex
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newswire", "enrich", "--workers", "2", *args],
            env={**env, "NEWSWIRE_METRICS_PORT": str(metrics_port), REPLICA_VARIABLE: self.tag},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a process group of its own, as a terminal's command has
        )
        self.logs: list[dict[str, object]] = []
        self._collector = threading.Thread(target=self._collect, daemon=True)
        self._collector.start()

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            try:
                self.logs.append(json.loads(line))
            except json.JSONDecodeError:
                self.logs.append({"message": line.rstrip()})

    def final_logs(self) -> list[dict[str, object]]:
        """Every line logged, once the last process that could write one has ended."""
        self._collector.join(timeout=STOP_GRACE + 5)
        assert not self._collector.is_alive(), "a process of the replica still runs"
        return self.logs

    def forkserver_started(self) -> bool:
        for process in self.family():
            with contextlib.suppress(psutil.Error):
                if "multiprocessing.forkserver" in " ".join(process.cmdline()):
                    return True
        return False

    def worker_pids(self) -> list[int]:
        started = [entry for entry in self.logs if entry.get("message") == "workers started"]
        pids = started[0]["pids"] if started else []
        assert isinstance(pids, list)
        return [int(pid) for pid in pids]

    def family(self) -> list[psutil.Process]:
        """The replica's processes still running: the supervisor, and the forkserver, the workers
        and the resource tracker it started, found by the environment they inherit from it (a
        worker outlives its supervisor if nothing stops it)."""
        found = []
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if process.environ().get(REPLICA_VARIABLE) == self.tag:
                    found.append(process)
        return found

    def scrape(self, worker: int) -> dict[str, list[tuple[dict[str, str], float]]]:
        url = f"http://127.0.0.1:{self.metrics_port + worker}/metrics"
        samples: dict[str, list[tuple[dict[str, str], float]]] = {}
        for family in text_string_to_metric_families(httpx.get(url, timeout=2).text):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append((sample.labels, sample.value))
        return samples

    def ready(self, worker: int) -> bool:
        url = f"http://127.0.0.1:{self.metrics_port + worker}/readyz"
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    started: list[Replica] = []
    yield started
    for replica in started:
        if replica.process.poll() is None:
            replica.process.terminate()
            try:
                replica.process.wait(timeout=STOP_GRACE + 5)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait()
        for process in replica.family():  # what a failed test left: workers without supervisor
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


@pytest.fixture
def replica(service_env: dict[str, str], replicas: list[Replica]) -> Replica:
    """A replica of two workers, both ready."""
    started = Replica(service_env, free_ports(2))
    replicas.append(started)
    wait_until_ready(started, 120)
    return started


def publish(kafka: KafkaSettings, topics: TopicSettings, count: int) -> set[bytes]:
    ensure_topics(kafka, topics, [TopicSpec(topics.raw)])
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    keys = set()
    for number in range(count):
        article = build_article(
            ArticleDraft(
                title=f"Story {number}",
                body=f"Angela Merkel met Emmanuel Macron in Paris on day {number}.",
                url=f"https://news.test/{uuid.uuid4().hex}",
            ),
            Source(kind=SourceKind.SEED, path="test"),
            datetime.now(UTC),
        )
        headers: Headers = []
        value = ArticleSerializer().serialize(topics.raw, headers, article)
        producer.send(topics.raw, key=article.id.encode(), value=value, headers=headers)
        keys.add(article.id.encode())
    producer.flush()
    producer.close()
    return keys


def wait_until_ready(replica: Replica, timeout: float) -> None:
    """Both workers answer `/readyz` with 200; a replica that ends first fails at once, with its
    log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.ready(0) and replica.ready(1):
            return
        assert replica.process.poll() is None, ("the replica ended", replica.logs[-10:])
        time.sleep(0.3)
    raise AssertionError(("timed out waiting for both workers to be ready", replica.logs[-10:]))


def test_worker_endpoints_are_on_consecutive_ports() -> None:
    settings = EnrichSettings(metrics_port=9200)
    assert [worker_settings(settings, index).metrics_port for index in range(3)] == [
        9200,
        9201,
        9202,
    ]
    assert worker_settings(EnrichSettings(metrics_port=0), 1).metrics_port == 0


@pytest.mark.timeout(240)
def test_two_workers_share_the_partitions_and_enrich_every_article_once(
    kafka_settings: KafkaSettings,
    topics: TopicSettings,
    service_env: dict[str, str],
    replicas: list[Replica],
) -> None:
    keys = publish(kafka_settings, topics, ARTICLES)
    replica = Replica(service_env, free_ports(2), "--until-idle", UNTIL_IDLE)
    replicas.append(replica)
    partitions: list[set[str]] = [set(), set()]
    young_collections: list[list[float]] = [[], []]
    while replica.process.poll() is None:
        for worker in (0, 1):
            try:
                samples = replica.scrape(worker)
            except httpx.HTTPError:
                continue
            lag = samples.get("newswire_enrich_consumer_lag", [])
            partitions[worker] |= {labels["partition"] for labels, _ in lag}
            collections = samples.get("python_gc_collections_total", [])
            young = [count for labels, count in collections if labels["generation"] == "0"]
            young_collections[worker] += young
        time.sleep(0.3)
    assert replica.process.returncode == 0, replica.logs[-10:]
    # Each worker collects garbage in bulk, as the command does: serving these articles took 4
    # to 13 young collections at CPython's default threshold (seen), none at the service's.
    served = [counts[-1] - counts[0] for counts in young_collections]
    assert all(len(counts) > 1 for counts in young_collections)
    assert all(count <= 2 for count in served), served

    records = read_topic(kafka_settings, topics.enriched)  # read_committed
    assert len(records) == ARTICLES
    assert {record.key for record in records} == keys
    assert all(partitions), (partitions, replica.logs)
    assert partitions[0] | partitions[1] == {"0", "1", "2"}


@pytest.mark.timeout(180)
def test_workers_share_the_models_they_are_forked_with(replica: Replica) -> None:
    warnings = [entry for entry in replica.logs if entry.get("preload")]
    assert not warnings, warnings
    pids = replica.worker_pids()
    assert len(pids) == 2
    for pid in pids:
        # A worker that loaded the models itself has nearly all its resident memory to itself
        # (seen: 566 of 606 MB); one forked after they were loaded, about 9 of 494 MB.
        memory = psutil.Process(pid).memory_full_info()
        assert memory.uss < memory.rss / 2, (pid, memory)


def test_a_worker_forked_without_the_models_says_so(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, PRELOAD, raising=False)
    warn_unless_preloaded()
    assert [getattr(record, "preload", None) for record in caplog.records] == [PRELOAD]

    caplog.clear()
    monkeypatch.setitem(sys.modules, PRELOAD, types.ModuleType(PRELOAD))
    warn_unless_preloaded()
    assert not caplog.records


@pytest.mark.timeout(180)
def test_sigterm_stops_every_worker_within_ten_seconds(replica: Replica) -> None:
    pids = replica.worker_pids()
    assert len(pids) == 2
    # Series of a fixed label set are there before their first event.
    failures = replica.scrape(1)["newswire_enrich_checkpoint_failures_total"]
    assert ({"reason": "fenced"}, 0.0) in failures

    started = time.monotonic()
    replica.process.send_signal(signal.SIGTERM)
    assert replica.process.wait(timeout=10) == 0
    assert time.monotonic() - started < 10
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.timeout(180)
def test_workers_stop_when_their_supervisor_is_killed(replica: Replica) -> None:
    family = replica.family()
    assert set(replica.worker_pids()) < {process.pid for process in family}

    replica.process.kill()
    replica.process.wait()
    wait_for(
        lambda: not [process for process in family if process.is_running()],
        STOP_GRACE + 5,
        "the workers, the forkserver and the resource tracker to end",
    )
    logs = replica.final_logs()
    stopping = [
        entry for entry in logs if entry.get("message") == "the supervisor is gone; stopping"
    ]
    assert {entry.get("worker") for entry in stopping} == {0, 1}, logs[-10:]


def test_more_workers_than_ports_left_is_a_settings_error() -> None:
    settings = EnrichSettings(metrics_port=65535)
    with pytest.raises(ConfigError, match="need ports up to 65536"):
        supervise(settings, 2, None, threading.Event())


@pytest.mark.timeout(180)
def test_a_worker_whose_port_is_taken_ends_the_replica_with_one_error_line(
    service_env: dict[str, str], replicas: list[Replica]
) -> None:
    port = free_ports(2)
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", port + 1))
        taken.listen()
        replica = Replica(service_env, port)
        replicas.append(replica)
        assert replica.process.wait(timeout=120) == 2, replica.logs[-10:]
    logs = replica.final_logs()
    failed = [entry for entry in logs if entry.get("message") == "worker failed"]
    assert [entry.get("worker") for entry in failed] == [1], logs[-10:]
    assert "cannot listen on" in str(failed[0]["error"])
    assert not [entry for entry in logs if "Traceback" in str(entry)]


@pytest.mark.timeout(180)
def test_ctrl_c_while_the_models_load_stops_the_replica_cleanly(
    service_env: dict[str, str], replicas: list[Replica]
) -> None:
    replica = Replica(service_env, free_ports(2))
    replicas.append(replica)
    wait_for(replica.forkserver_started, 60, "the forkserver to start loading the models")

    os.killpg(replica.process.pid, signal.SIGINT)  # what the terminal sends its foreground group
    assert replica.process.wait(timeout=60) == 0, replica.logs[-10:]
    assert not [entry for entry in replica.final_logs() if "Traceback" in str(entry)]


@pytest.mark.timeout(180)
def test_a_worker_that_dies_ends_the_replica_with_an_error(replica: Replica) -> None:
    doomed, survivor = replica.worker_pids()

    os.kill(doomed, signal.SIGKILL)
    assert replica.process.wait(timeout=15) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(survivor, 0)
    messages = {entry.get("message") for entry in replica.final_logs()}
    assert "worker ended; stopping the others" in messages

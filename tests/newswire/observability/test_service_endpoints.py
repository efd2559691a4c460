"""Both services, running for real, serve the endpoints and metrics operators rely on."""

import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import httpx

from tests.conftest import REPO, free_port
from tests.endpoints import is_ready, scrape, value
from tests.waiting import wait_for


def start(command: str, port: int, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newswire", command, "--metrics-port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_within(process: subprocess.Popen[str], seconds: float) -> int:
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code = process.wait(timeout=seconds)
    assert time.monotonic() - started < seconds
    return code


def test_services_expose_health_readiness_and_metrics(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "story.txt").write_text((REPO / "seeds" / "000_47538fdd1a9e32f6.txt").read_text())
    (seeds / "broken.json").write_text("{")
    ingest_port, enrich_port = free_port(), free_port()
    ingest = start("ingest", ingest_port, service_env, "--seeds", str(seeds))
    enrich = start("enrich", enrich_port, service_env)
    try:
        for port in (ingest_port, enrich_port):
            wait_for(partial(is_ready, port), 60, f"readiness on {port}")
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        wait_for(
            lambda: (
                value(scrape(enrich_port), "newswire_enrich_articles_total", outcome="enriched")
                >= 1
            ),
            90,
            "the seed to be enriched",
        )
        time.sleep(6)  # one lag reading after the batch

        ingested = scrape(ingest_port)
        assert value(ingested, "newswire_ingest_articles_published_total", source_kind="seed") == 1
        assert (
            value(
                ingested,
                "newswire_ingest_source_errors_total",
                source_kind="seed",
                reason="invalid_json",
            )
            == 1
        )
        assert value(ingested, "newswire_ingest_publish_duration_seconds_count") >= 1
        assert value(ingested, "process_resident_memory_bytes") > 0

        enriched = scrape(enrich_port)
        assert value(enriched, "newswire_enrich_batch_duration_seconds_count") >= 1
        assert value(enriched, "newswire_enrich_end_to_end_latency_seconds_count") == 1
        lag = enriched["newswire_enrich_consumer_lag"]
        assert {labels["partition"] for labels, _ in lag} == {"0", "1", "2"}
        assert all(v == 0 for _, v in lag)
        assert value(enriched, "process_cpu_seconds_total") > 0
    finally:
        codes = [stop_within(process, 10) for process in (ingest, enrich)]
    assert codes == [0, 0], [
        process.stderr.read() for process in (ingest, enrich) if process.stderr
    ]


def test_readiness_says_why_while_kafka_cannot_be_reached(service_env: dict[str, str]) -> None:
    env = service_env | {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"}  # nobody there
    ports = {"ingest": free_port(), "enrich": free_port()}
    services = [start(command, port, env) for command, port in ports.items()]

    def reasons() -> list[str]:
        try:
            return [httpx.get(f"http://127.0.0.1:{port}/readyz").text for port in ports.values()]
        except httpx.HTTPError:
            return []

    try:
        wait_for(
            lambda: [reason.count("cannot reach Kafka at") for reason in reasons()] == [1, 1],
            60,
            "/readyz to say Kafka cannot be reached",
        )
        ingest, enrich = reasons()
        assert ingest.startswith("not ready: create topics: cannot reach Kafka at 127.0.0.1:")
        assert enrich.startswith("not ready: create topics: cannot reach Kafka at 127.0.0.1:")
    finally:
        assert [stop_within(process, 10) for process in services] == [0, 0]

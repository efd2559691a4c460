"""Both services against a broker of the test's own, which goes away while they run.

`newswire ingest` polls feeds on the local farm that gain items all along, and `newswire enrich`
tags what it publishes. The broker is stopped for 30 s and started again on the same port and
data directory: neither process is restarted, both report not ready during the outage and ready
again after it by themselves (`/readyz` and `newswire_ready`), their logs stay readable, and
every item, whether added before, during or after the outage, is in the raw and the enriched
topic (read with read_committed) exactly once. SIGTERM while the broker is down, at start-up or
after it went away, ends each service within 10 s.
"""

import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from newswire.broker import EmbeddedBroker
from newswire.settings import KafkaSettings, TopicSettings
from tests.conftest import free_port, read_topic
from tests.services.enrich.delivery import (
    Enrich,
    Service,
    assert_exactly_once,
    read_settled,
)
from tests.services.ingest.farm import FeedFarm, Item, article_id, ingest_env, prepend, write_yaml
from tests.waiting import wait_for

OUTAGE = 30.0
# Ingest notices within a transaction's timeout (10 s), enrich within a probe's interval and
# timeout (5 s + 2 s) or a commit's timeout (5 s); a loaded machine adds to either.
NOTICED_WITHIN = 15.0
EXIT_WITHIN = 10.0
FEEDS = 8
# Seconds since the broker stopped, and the /readyz status of ingest and of enrich then.
Reading = tuple[float, int | None, int | None]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker for this test alone, on a fixed port and data directory, so that it can be
    stopped and started again with the same topics: the session's broker is never stopped."""
    own = EmbeddedBroker(port=free_port(), data_dir=tmp_path / "kafka")
    own.start(timeout=120)
    try:
        yield own
    finally:
        own.stop()


def add_items(farm: FeedFarm, label: str) -> None:
    """A new item at the top of every feed of the farm."""
    for name in list(farm.feeds):
        farm.update(name, partial(prepend, Item(f"{name}-{label}", f"Story {label} of {name}")))


def every_item(farm: FeedFarm) -> set[bytes]:
    """The ids of the articles of every item the farm's feeds ever had (items are only added)."""
    return {article_id(farm, item).encode() for feed in farm.feeds.values() for item in feed.items}


def start_pipeline(
    farm: FeedFarm, service_env: dict[str, str], bootstrap: str, tmp_path: Path
) -> tuple[Service, Enrich]:
    """`newswire ingest` over `FEEDS` feeds of the farm (each with one item), and `newswire
    enrich`, on the broker at `bootstrap`."""
    env = {**service_env, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    names = [f"feed{n}" for n in range(FEEDS)]
    urls = {
        name: farm.add(name, "rss", [Item(f"{name}-first", f"First of {name}")]) for name in names
    }
    feeds_file = write_yaml(tmp_path / "feeds.yaml", urls, interval=0.5)
    polling = ingest_env(
        env,
        NEWSWIRE_MIN_INTERVAL="0.5",
        NEWSWIRE_MAX_INTERVAL="1",
        NEWSWIRE_BACKOFF_BASE="1",
        # A loaded machine may be slow to serve the farm; a poll that timed out is retried.
        NEWSWIRE_FETCH_READ_TIMEOUT="10",
        NEWSWIRE_FETCH_DEADLINE="20",
    )
    ingest = Service("ingest", polling, tmp_path, "ingest", "--feeds", str(feeds_file))
    return ingest, Enrich(env, tmp_path, "enrich")


def sigterm(service: Service) -> tuple[int, float]:
    code, seconds = service.terminate(within=EXIT_WITHIN)
    assert seconds < EXIT_WITHIN, f"{seconds:.1f} s:\n{service.log_tail()}"
    return code, seconds


@pytest.mark.timeout(480)
def test_both_services_ride_out_a_30_s_broker_outage_and_lose_or_double_nothing(
    farm: FeedFarm,
    topics: TopicSettings,
    service_env: dict[str, str],
    broker: EmbeddedBroker,
    tmp_path: Path,
) -> None:
    kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
    ingest, enrich = start_pipeline(farm, service_env, kafka.bootstrap_servers, tmp_path)
    with ingest, enrich:
        wait_for(lambda: enrich.enriched >= FEEDS, 120, "articles to flow through both services")
        add_items(farm, "before")  # in flight when the broker stops
        broker.stop()
        stopped = time.monotonic()
        readings: list[Reading] = []
        while (elapsed := time.monotonic() - stopped) < OUTAGE:
            readings.append((elapsed, ingest.readyz(), enrich.readyz()))
            if len(readings) % 4 == 0:
                add_items(farm, f"during-{len(readings)}")
            time.sleep(0.5)
        before_restart = len(every_item(farm))
        assert ingest.alive, ingest.log_tail()
        assert enrich.alive, enrich.log_tail()
        assert [service.metric("newswire_ready") for service in (ingest, enrich)] == [0, 0]
        broker.start(timeout=120)
        restarted = time.monotonic()
        add_items(farm, "after-restart")
        both_ready = wait_for(
            lambda: ingest.readyz() == 200 and enrich.readyz() == 200, 90, "readiness again"
        )
        assert [service.metric("newswire_ready") for service in (ingest, enrich)] == [1, 1]
        add_items(farm, "after-ready")
        expected = every_item(farm)
        wait_for(
            lambda: expected <= {record.key for record in read_topic(kafka, topics.enriched)},
            180,
            "every item to be enriched",
        )
        caught_up = time.monotonic() - restarted
        codes = [sigterm(service)[0] for service in (ingest, enrich)]
        assert codes == [0, 0], (ingest.log_tail(), enrich.log_tail())

    late = [(ingested, enriched) for at, ingested, enriched in readings if at >= NOTICED_WITHIN]
    assert late and all(statuses == (503, 503) for statuses in late), readings
    for service in (ingest, enrich):
        # kafka-python's reconnect errors, several a second per client (hundreds in this outage),
        # are said once a minute per message.
        lines = service.log.read_text().splitlines()
        assert len([line for line in lines if '"logger": "kafka' in line]) < 40, lines
    assert_exactly_once(read_settled(kafka, topics.raw), expected)
    assert_exactly_once(read_settled(kafka, topics.enriched), expected)
    print(
        f"\nbroker outage {OUTAGE:.0f} s with both services running: {len(expected)} items "
        f"({2 * FEEDS} before the outage, {before_restart - 2 * FEEDS} during, "
        f"{len(expected) - before_restart} after), each published and enriched exactly once; "
        f"/readyz 503 from {_first(readings, 1):.1f} s (ingest) and {_first(readings, 2):.1f} s "
        f"(enrich) after the stop, both ready {both_ready:.1f} s after the restart, all enriched "
        f"{caught_up:.1f} s after it"
    )


def _first(readings: list[Reading], column: int) -> float:
    """When the service of `column` first answered 503 during the outage."""
    return min(reading[0] for reading in readings if reading[column] == 503)


@pytest.mark.timeout(240)
def test_sigterm_while_the_broker_is_down_ends_each_service_within_10_s(
    farm: FeedFarm, service_env: dict[str, str], broker: EmbeddedBroker, tmp_path: Path
) -> None:
    ingest, enrich = start_pipeline(farm, service_env, broker.bootstrap_servers, tmp_path)
    with ingest, enrich:
        wait_for(lambda: enrich.enriched >= FEEDS, 120, "articles to flow through both services")
        broker.stop()
        add_items(farm, "during")  # for a transaction that fails, and is retried
        wait_for(
            lambda: ingest.readyz() == 503 and enrich.readyz() == 503,
            60,
            "both services to notice the outage",
        )
        exits = {service: sigterm(service) for service in (ingest, enrich)}
    print(f"\nSIGTERM during an outage: {_exits(exits)}")
    assert all(code == 0 for code, _ in exits.values()), (ingest.log_tail(), enrich.log_tail())


@pytest.mark.timeout(180)
def test_sigterm_while_kafka_cannot_be_reached_at_start_up_ends_each_service_within_10_s(
    farm: FeedFarm, service_env: dict[str, str], tmp_path: Path
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"  # no broker listens there
    ingest, enrich = start_pipeline(farm, service_env, nowhere, tmp_path)
    with ingest, enrich:
        wait_for(lambda: ingest.readyz() == 503 and enrich.readyz() == 503, 60, "both to be up")
        time.sleep(1)  # inside their first attempt to reach Kafka, which used to last 30 s
        exits = {service: sigterm(service) for service in (ingest, enrich)}
    print(f"\nSIGTERM before Kafka could be reached: {_exits(exits)}")
    assert exits[enrich][0] == 0, enrich.log_tail()
    assert exits[ingest][0] == 0, ingest.log_tail()


def _exits(exits: dict[Service, tuple[int, float]]) -> str:
    return ", ".join(
        f"{service.log.stem} exit {code} after {seconds:.1f} s"
        for service, (code, seconds) in exits.items()
    )

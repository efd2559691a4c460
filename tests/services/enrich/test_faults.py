"""enrich breaks on purpose, on the real broker: killed, cut off from Kafka, joined by a replica,
stopped under load. Afterwards the enriched topic, read with read_committed, holds exactly one
record per raw article, and the dead-letter topic one per poison record."""

import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newswire.broker import EmbeddedBroker
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from tests.conftest import free_port, read_topic
from tests.services.enrich.delivery import (
    Enrich,
    Feed,
    Raw,
    TransactionWatch,
    assert_exactly_once,
    group_caught_up,
    poison,
    publish,
    read_settled,
    read_uncommitted,
    short_articles,
)
from tests.waiting import wait_for

# The broker's smallest session timeout: a killed replica's partitions move on after 6 s.
FAST_FAILOVER = {"NEWSWIRE_SESSION_TIMEOUT": "6"}
CHECKPOINT_FAILURES = "newswire_enrich_checkpoint_failures_total"
EXIT_WITHIN = 10.0


Spawn = Callable[..., Enrich]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Starts `newswire enrich` child processes (env, name, *args); kills leftovers at the end."""
    started: list[Enrich] = []

    def start(env: dict[str, str], name: str, *args: str) -> Enrich:
        started.append(Enrich(env, tmp_path, name, *args))
        return started[-1]

    yield start
    for enrich in started:
        if enrich.alive:
            enrich.kill()


def feed(kafka: KafkaSettings, topic: str, records: list[Raw], seconds: float) -> threading.Thread:
    """Publishes `records` in 20 chunks spread over `seconds`, on a thread already started."""

    def run() -> None:
        chunk = max(1, len(records) // 20)
        for start in range(0, len(records), chunk):
            publish(kafka, topic, records[start : start + chunk])
            time.sleep(seconds / 20)

    thread = threading.Thread(target=run, name="feed", daemon=True)
    thread.start()
    return thread


def enriched_count(kafka: KafkaSettings, topic: str) -> int:
    return len(read_topic(kafka, topic))


@pytest.mark.timeout(300)
def test_sigkill_five_times_loses_and_doubles_nothing(
    kafka_settings: KafkaSettings,
    topics: TopicSettings,
    service_env: dict[str, str],
    spawn: Spawn,
) -> None:
    env = {**service_env, **FAST_FAILOVER}
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    articles, bad = short_articles(2000), poison(20)
    records = articles + bad
    random.shuffle(records)
    # Each run gets records of its own as it starts: the stream alone may all be enriched
    # before the last run, which would then have nothing to make progress on.
    own, stream = [records[n * 60 : (n + 1) * 60] for n in range(5)], records[300:]
    feeder = feed(kafka_settings, topics.raw, stream, seconds=20)
    moments = []
    for run in range(5):
        publish(kafka_settings, topics.raw, own[run])
        enrich = spawn(env, f"killed-{run}")
        # A random moment once it is making progress; on runs 1 and 3, the first moment after
        # it when a transaction of its own is open (written, not yet committed).
        wait_for(lambda: enrich.enriched > 0, 90, f"run {run} to commit a batch")  # noqa: B023
        pause = random.uniform(0.0, 2.0)
        time.sleep(pause)
        if run % 2:
            watch = TransactionWatch(kafka_settings, topics.enriched)
            caught = watch.wait_for_new(timeout=5)
            enrich.kill()
            watch.close()
            moments.append(f"{pause:.2f} s + {'open transaction' if caught else 'none seen'}")
        else:
            enrich.kill()
            moments.append(f"{pause:.2f} s")
    feeder.join(timeout=60)
    final = spawn(env, "final", "--until-idle", "2")
    assert final.wait(timeout=180) == 0, final.log_tail()

    enriched = read_settled(kafka_settings, topics.enriched)
    assert_exactly_once(enriched, {record.key for record in articles})
    letters = read_settled(kafka_settings, topics.dlq)
    assert_exactly_once(letters, {record.key for record in bad})
    written = len(read_uncommitted(kafka_settings, topics.enriched))
    print(
        f"\nSIGKILL x5 (after progress: {moments}): {len(articles)} articles, "
        f"{len(enriched)} enriched read_committed, {len(letters)}/{len(bad)} dead letters, "
        f"{written - len(enriched)} enriched records written in aborted transactions"
    )


@pytest.mark.timeout(300)
def test_broker_outage_of_30_s_is_ridden_out_without_a_restart(
    topics: TopicSettings, service_env: dict[str, str], tmp_path: Path, spawn: Spawn
) -> None:
    outage = 30.0  # longer than the transaction and session timeouts (10 s, 6 s)
    port, data_dir = free_port(), tmp_path / "kafka"
    broker = EmbeddedBroker(port=port, data_dir=data_dir)
    broker.start(timeout=120)
    try:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        env = {**service_env, **FAST_FAILOVER, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers}
        ensure_topics(kafka, topics, [TopicSpec(topics.raw)])
        before, after = short_articles(500), short_articles(300)
        publish(kafka, topics.raw, before)
        enrich = spawn(env, "enrich")
        wait_for(lambda: enrich.enriched >= 150, 90, "enrich to be under way")

        broker.stop()
        stopped = time.monotonic()
        readings: list[tuple[float, int | None]] = []
        while (elapsed := time.monotonic() - stopped) < outage:
            readings.append((elapsed, enrich.readyz()))
            time.sleep(0.5)
        assert enrich.alive, enrich.log_tail()
        broker = EmbeddedBroker(port=port, data_dir=data_dir)
        broker.start(timeout=120)
        restarted = time.monotonic()
        publish(kafka, topics.raw, after)
        group, total = env["NEWSWIRE_GROUP_ID"], len(before) + len(after)
        wait_for(lambda: group_caught_up(kafka, group, topics.raw), 120, "every article")
        resumed = time.monotonic() - restarted
        wait_for(lambda: enrich.readyz() == 200, 30, "readiness after the outage")
        failures = enrich.metrics_by(CHECKPOINT_FAILURES, "reason")
        code, seconds = enrich.terminate()
        assert code == 0 and seconds < EXIT_WITHIN, enrich.log_tail()

        # Noticing takes up to a probe interval (5 s) and the probe's timeout (2 s), or a commit
        # timeout (5 s) when a batch was in flight; on a loaded machine a little more.
        late = [status for at, status in readings if at >= 10.0]
        assert late and all(status == 503 for status in late), readings
        enriched = read_settled(kafka, topics.enriched)
        assert_exactly_once(enriched, {record.key for record in before + after})
        first_503 = min(at for at, status in readings if status == 503)
        print(
            f"\nbroker outage {outage:.0f} s: /readyz 503 from {first_503:.1f} s after the stop "
            f"({sum(s == 503 for _, s in readings)}/{len(readings)} readings), all {total} "
            f"articles enriched exactly once {resumed:.1f} s after the restart, same process; "
            f"checkpoint failures {failures}"
        )
    finally:
        broker.stop()


@pytest.mark.timeout(240)
def test_until_idle_gives_up_when_the_broker_goes_away(
    topics: TopicSettings, service_env: dict[str, str], tmp_path: Path, spawn: Spawn
) -> None:
    # A one-shot run must end, where the service rides the same outage out (the test above).
    broker = EmbeddedBroker(port=free_port(), data_dir=tmp_path / "kafka")
    broker.start(timeout=120)
    try:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        env = {
            **service_env,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "NEWSWIRE_ONCE_KAFKA_WAIT": "5",
        }
        ensure_topics(kafka, topics, [TopicSpec(topics.raw)])
        articles = short_articles(40)
        publish(kafka, topics.raw, articles)
        enrich = spawn(env, "one-shot", "--until-idle", "600")
        wait_for(lambda: enrich.enriched >= len(articles), 90, "every article enriched")
        broker.stop()
        stopped = time.monotonic()
        code = enrich.wait(timeout=90)
        seconds = time.monotonic() - stopped
        assert code == 1, enrich.log_tail()
        last = enrich.log_tail().splitlines()[-1]
        assert last.startswith(f"newswire: error: cannot reach Kafka at {kafka.bootstrap_servers}")
        print(f"\nenrich --until-idle, broker gone: exit 1 after {seconds:.1f} s ({last[:100]})")
    finally:
        broker.stop()


@pytest.mark.timeout(240)
def test_a_second_replica_joining_and_leaving_changes_nothing(
    kafka_settings: KafkaSettings,
    topics: TopicSettings,
    service_env: dict[str, str],
    spawn: Spawn,
) -> None:
    env = {**service_env, **FAST_FAILOVER}
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    flow = Feed(kafka_settings, topics.raw, per_second=40)  # articles arrive throughout
    try:
        first = spawn(env, "first")
        wait_for(lambda: first.enriched >= 100, 90, "the first replica to be under way")
        second = spawn(env, "second")
        wait_for(lambda: second.enriched >= 30, 120, "the second replica to take partitions")
        by_second = second.enriched
        failures = {"second": second.metrics_by(CHECKPOINT_FAILURES, "reason")}
        code, seconds = second.terminate()
        assert code == 0 and seconds < EXIT_WITHIN, second.log_tail()
        time.sleep(3)  # the first replica takes the partitions back while articles arrive
    finally:
        articles = flow.stop()
    group = env["NEWSWIRE_GROUP_ID"]
    wait_for(lambda: group_caught_up(kafka_settings, group, topics.raw), 120, "every article")
    by_first = first.enriched
    failures["first"] = first.metrics_by(CHECKPOINT_FAILURES, "reason")
    code, _ = first.terminate()
    assert code == 0, first.log_tail()

    enriched = read_settled(kafka_settings, topics.enriched)
    assert_exactly_once(enriched, {record.key for record in articles})
    print(
        f"\nreplica join/leave: {len(articles)} articles, {len(enriched)} enriched; "
        f"first replica {by_first:.0f}, second at least {by_second:.0f} (left by SIGTERM in "
        f"{seconds:.1f} s); checkpoint failures {failures}"
    )


@pytest.mark.timeout(180)
def test_sigterm_under_load_exits_within_10_s_and_a_restart_finishes(
    kafka_settings: KafkaSettings,
    topics: TopicSettings,
    service_env: dict[str, str],
    spawn: Spawn,
) -> None:
    ensure_topics(kafka_settings, topics, [TopicSpec(topics.raw)])
    articles = short_articles(600)
    publish(kafka_settings, topics.raw, articles)
    enrich = spawn(service_env, "loaded")
    wait_for(lambda: enrich.enriched >= 150, 90, "enrich to be under load")

    enrich.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    statuses = enrich.readiness_until_exit(limit=EXIT_WITHIN + 5)
    code, seconds = enrich.wait(timeout=5), time.monotonic() - signalled
    assert code == 0 and seconds < EXIT_WITHIN, enrich.log_tail()
    # Not ready (503) from the signal on, then gone; a quick stop may close the endpoints
    # before a reading sees the 503, but none may see it ready again.
    first_not_ready = next(i for i, status in enumerate(statuses) if status != 200)
    assert 200 not in statuses[first_not_ready:], statuses
    done_before = enriched_count(kafka_settings, topics.enriched)
    assert done_before < len(articles), "the load was over before SIGTERM: nothing was tested"

    restart = spawn(service_env, "restart", "--until-idle", "2")
    assert restart.wait(timeout=120) == 0, restart.log_tail()
    enriched = read_settled(kafka_settings, topics.enriched)
    assert_exactly_once(enriched, {record.key for record in articles})
    print(
        f"\nSIGTERM under load: exit 0 after {seconds:.2f} s, /readyz 503 in "
        f"{statuses.count(503)}/{len(statuses)} readings; {done_before} enriched before, "
        f"{len(enriched)} after the restart, of {len(articles)}"
    )

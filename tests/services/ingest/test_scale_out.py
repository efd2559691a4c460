"""Scale-out on the real broker: three `newswire ingest` replicas split 300 feeds among themselves.

The feeds gain items all along. Once the group has settled, every feed must be polled by exactly
one replica; one replica is then SIGKILLed, and the other two must take its feeds over within
the session timeout (plus the rebalance and one poll interval, or the broker's abort of a
transaction the replica was killed in) and again split every feed
between them. After the survivors stop and a last `--once` pass, the raw topic must hold every
item exactly once. Replicas are told apart by their User-Agent, which the farm records.
"""

import signal
import subprocess
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

from newswire.kafka.clients import TRANSACTION_TIMEOUT_MS
from newswire.settings import KafkaSettings, TopicSettings
from tests.services.ingest.farm import (
    FeedFarm,
    Growth,
    Item,
    article_id,
    id_counts,
    ingest_command,
    ingest_env,
    json_lines,
    published,
    run_once,
    write_yaml,
)
from tests.services.ingest.test_fetch import Seen
from tests.waiting import wait_for

FEEDS = 300
INTERVAL = 2.0  # seconds between polls of a feed
SESSION_TIMEOUT = 6.0
WINDOW = 3 * INTERVAL  # long enough for every feed to be polled in it, by its one owner
ADDED_ITEMS = 600
GROWTH_STEP = 0.05
REPLICAS = ("a", "b", "c")


class Replica:
    """One `newswire ingest` child, its log, and the User-Agent it polls with."""

    def __init__(self, name: str, feeds_file: Path, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.agent = f"newswire-test-replica-{name}"
        self.log = log
        replica_env = {
            **env,
            "NEWSWIRE_FETCH_USER_AGENT": self.agent,
            "NEWSWIRE_TRANSACTIONAL_ID": f"{env['NEWSWIRE_TOPIC_INGEST_STATE']}-{name}",
        }
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                ingest_command("--feeds", str(feeds_file)), env=replica_env, stderr=stderr
            )

    def owned(self) -> frozenset[int] | None:
        """The partitions its log says it owns now; None while a rebalance is under way."""
        owned: set[int] | None = set()
        for line in json_lines(self.log.read_text()):
            message = line.get("message")
            if message == "feeds released":
                owned = None
            elif message == "feeds acquired":
                partitions = line["partitions"]
                assert isinstance(partitions, list)
                owned = set(partitions)
        return None if owned is None else frozenset(owned)

    def stop(self, signum: signal.Signals) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        self.process.wait(timeout=30)


def settled(replicas: list[Replica], partitions: int) -> bool:
    """Every live replica owns its share, and together they own each partition once.

    There are at least as many partitions as replicas, so a replica that owns none has not joined
    yet: the others still hold its share and are about to give it up."""
    owned = [replica.owned() for replica in replicas]
    if any(not share for share in owned):
        return False
    numbers = [number for share in owned if share is not None for number in share]
    return sorted(numbers) == list(range(partitions))


def pollers(requests: list[Seen], since: float, until: float) -> dict[str, set[str]]:
    """Which User-Agents polled each feed between `since` and `until`."""
    found: dict[str, set[str]] = defaultdict(set)
    for seen in requests:
        if since <= seen.at < until:
            found[seen.path].add(seen.headers.get("user-agent", ""))
    return found


def test_three_replicas_split_the_feeds_take_over_a_killed_one_and_publish_once(
    farm: FeedFarm, service_env: dict[str, str], kafka_settings: KafkaSettings,
    topics: TopicSettings, tmp_path: Path,
) -> None:  # fmt: skip
    names = [f"feed{n:03d}" for n in range(FEEDS)]
    urls = {name: farm.add(name, "rss", [Item(f"{name}-0", f"Story {name}-0")]) for name in names}
    paths = {f"/feeds/{name}" for name in names}
    feeds_file = write_yaml(tmp_path / "feeds.yaml", urls, interval=INTERVAL)
    env = ingest_env(
        service_env,
        NEWSWIRE_MIN_INTERVAL=str(INTERVAL),
        NEWSWIRE_MAX_INTERVAL=str(INTERVAL),
        NEWSWIRE_MAX_POLLS_PER_HOST="8",
        NEWSWIRE_SESSION_TIMEOUT=str(SESSION_TIMEOUT),
        # The farm's server is slow to accept 300 connections at once on a loaded machine: a
        # poll that failed is tried again soon, not after the minute a real feed would wait.
        NEWSWIRE_FETCH_CONNECT_TIMEOUT="10",
        NEWSWIRE_FETCH_READ_TIMEOUT="10",
        NEWSWIRE_FETCH_DEADLINE="20",
        NEWSWIRE_BACKOFF_BASE="0.5",
        NEWSWIRE_BACKOFF_CAP="1",
    )
    growth = Growth(farm, names, 1, ADDED_ITEMS, GROWTH_STEP)
    with ExitStack() as stack:
        replicas = [Replica(name, feeds_file, env, tmp_path / f"{name}.log") for name in REPLICAS]
        for replica in replicas:
            stack.callback(replica.stop, signal.SIGKILL)
        growth.start()

        wait_for(lambda: settled(replicas, topics.partitions), 120, "three replicas settled")
        start = time.monotonic() + INTERVAL  # polls started before settling have ended
        wait_for(lambda: time.monotonic() > start + WINDOW, 2 * WINDOW, "a window")
        split = pollers(farm.server.requests, start, start + WINDOW)
        assert split.keys() == paths, f"not polled: {len(paths - split.keys())}"
        shared = {path: agents for path, agents in split.items() if len(agents) > 1}
        assert not shared, f"polled by two replicas at once: {shared}"
        killed, survivors = replicas[0], replicas[1:]
        orphans = {path for path, agents in split.items() if agents == {killed.agent}}
        assert orphans and all(agents for agents in split.values())

        killed.stop(signal.SIGKILL)
        killed_at = time.monotonic()

        def taken_over() -> bool:
            since = pollers(farm.server.requests, killed_at, time.monotonic())
            return all(since.get(path, set()) - {killed.agent} for path in orphans)

        wait_for(taken_over, 60, "the killed replica's feeds polled by others")
        took = time.monotonic() - killed_at
        wait_for(lambda: settled(survivors, topics.partitions), 60, "two replicas settled")
        start = time.monotonic() + INTERVAL
        wait_for(lambda: time.monotonic() > start + WINDOW, 2 * WINDOW, "a window")
        split = pollers(farm.server.requests, start, start + WINDOW)
        assert split.keys() == paths, f"not polled after the kill: {len(paths - split.keys())}"
        shared = {path: agents for path, agents in split.items() if len(agents) > 1}
        assert not shared, f"polled by two replicas at once after the kill: {shared}"
        assert {agent for agents in split.values() for agent in agents} == {
            survivor.agent for survivor in survivors
        }

        growth.join()
        for survivor in survivors:
            survivor.stop(signal.SIGTERM)
            assert survivor.process.returncode == 0, survivor.log.read_text()[-2000:]
    code, logs = run_once(feeds_file, env)
    assert code == 0, logs[-5:]

    counts = id_counts(published(kafka_settings, topics.raw))
    doubled = {article: n for article, n in counts.items() if n > 1}
    assert not doubled, f"published more than once: {doubled}"
    expected = {article_id(farm, Item(key, "")) for key in growth.keys}
    assert counts.keys() == expected, f"missing: {len(expected - counts.keys())}"
    # Noticing the crash takes the session timeout, and a transaction the replica was killed in
    # holds its feeds' state back until the broker aborts it (the transaction timeout, counted
    # from before the kill, and a second to notice); then, within one more session timeout, the
    # survivors hear of it at a heartbeat, the group rebalances, the new owners read the state
    # back and poll (under load, 2.4 s to poll the killed replica's 100 feeds once: seen).
    aborted = TRANSACTION_TIMEOUT_MS / 1000 + 1
    assert took < max(SESSION_TIMEOUT, aborted) + SESSION_TIMEOUT, took
    print(f"{len(orphans)} feeds of the killed replica polled by the others {took:.1f} s after")


def test_a_one_shot_run_beside_the_service_on_its_host_leaves_it_running(
    farm: FeedFarm, service_env: dict[str, str], kafka_settings: KafkaSettings,
    topics: TopicSettings, tmp_path: Path,
) -> None:  # fmt: skip
    # Both take the host's default transactional id: the run must not fence the service.
    feeds_file = write_yaml(tmp_path / "feeds.yaml", {"a": farm.add("a", "rss", [Item("1", "")])})
    env = ingest_env(service_env, NEWSWIRE_DEFAULT_INTERVAL="1", NEWSWIRE_MIN_INTERVAL="1")
    log = tmp_path / "service.log"
    command = ingest_command("--feeds", str(feeds_file))
    with log.open("wb") as stderr:
        service = subprocess.Popen(command, env=env, stderr=stderr)
    try:
        wait_for(lambda: "feeds acquired" in log.read_text(), 60, "the service to own the feeds")
        code, lines = run_once(feeds_file, env)
        assert code == 0, lines[-5:]
        farm.update("a", lambda items: [Item("2", ""), *items])
        wanted = article_id(farm, Item("2", ""))
        wait_for(
            lambda: (
                wanted in id_counts(published(kafka_settings, topics.raw))
                or service.poll() is not None
            ),
            60,
            "the service to publish what came after the run",
        )
        assert service.poll() is None, log.read_text()[-2000:]
    finally:
        if service.poll() is None:
            service.send_signal(signal.SIGTERM)
        service.wait(timeout=30)
    assert service.returncode == 0, log.read_text()[-2000:]

"""Nothing lost, nothing doubled: `newswire ingest` killed at random moments while it polls.

Fifty feeds on the local farm gain items while ingest runs, is killed with SIGKILL (mid-poll,
mid-transaction: wherever the random moment falls) and is started again. A last `--once`
pass after the feeds stopped growing picks up the rest. The raw topic, read with
`read_committed`, must then hold every item exactly once.
"""

import random
import signal
import subprocess
import time
from pathlib import Path

from newswire.settings import KafkaSettings, TopicSettings
from tests.services.ingest.farm import (
    FORMATS,
    FeedFarm,
    Growth,
    Item,
    article_id,
    id_counts,
    ingest_command,
    ingest_env,
    published,
    published_count,
    run_once,
    write_yaml,
)

FEEDS = 50
FIRST_ITEMS = 2  # per feed, before ingest starts
ADDED_ITEMS = 400  # over the whole farm, one every GROWTH_STEP seconds
GROWTH_STEP = 0.05
FINAL_PASSES = 3
KILLS = 5
LIFETIME = (0.0, 3.0)  # seconds from the end of start-up (state restored) to SIGKILL


def _start_then_kill(feeds_file: Path, env: dict[str, str], log: Path, lifetime: float) -> None:
    """Starts `newswire ingest`, waits until it has restored its state (Python's start-up alone
    outlasts many a random lifetime), lets it poll for `lifetime` seconds, then SIGKILLs it."""
    with log.open("wb") as stderr:
        child = subprocess.Popen(ingest_command("--feeds", str(feeds_file)), env=env, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while b"feed state restored" not in log.read_bytes():
            assert child.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.05)
        time.sleep(lifetime)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_every_item_is_published_exactly_once_across_sigkills(
    farm: FeedFarm, service_env: dict[str, str], kafka_settings: KafkaSettings,
    topics: TopicSettings, tmp_path: Path,
) -> None:  # fmt: skip
    names = [f"feed{n:02d}" for n in range(FEEDS)]
    first = {
        name: [Item(f"{name}-{i}", f"Story {name}-{i}") for i in range(FIRST_ITEMS)]
        for name in names
    }
    urls = {name: farm.add(name, FORMATS[n % 3], first[name]) for n, name in enumerate(names)}
    feeds_file = write_yaml(tmp_path / "feeds.yaml", urls, interval=0.5)
    env = ingest_env(
        service_env,
        NEWSWIRE_MIN_INTERVAL="0.5",
        NEWSWIRE_MAX_INTERVAL="1",
        NEWSWIRE_MAX_POLLS_PER_HOST="8",
        # A loaded machine may be slow to serve the farm: a timed-out poll is no loss, but the
        # last pass must see every feed.
        NEWSWIRE_FETCH_READ_TIMEOUT="10",
        NEWSWIRE_FETCH_DEADLINE="20",
        NEWSWIRE_LOG_LEVEL="INFO",  # to see when it is up
    )
    rng = random.Random()
    growth = Growth(farm, names, FIRST_ITEMS, ADDED_ITEMS, GROWTH_STEP)
    growth.start()
    started = time.monotonic()
    progress = []
    for kill in range(KILLS):
        _start_then_kill(feeds_file, env, tmp_path / f"ingest-{kill}.log", rng.uniform(*LIFETIME))
        progress.append(published_count(kafka_settings, topics.raw))
    growth.join()
    # On a loaded machine a poll of the last pass may still time out: a further pass picks the feed
    # up (and must not publish anything twice either).
    for _ in range(FINAL_PASSES):
        code, logs = run_once(feeds_file, env)
        failed = [line["feed"] for line in logs if line.get("message") == "feed poll failed"]
        if code != 0 or not failed:
            break
    elapsed = time.monotonic() - started

    assert code == 0 and not failed, failed
    articles = published(kafka_settings, topics.raw)
    counts = id_counts(articles)
    expected = {article_id(farm, Item(key, "")) for key in growth.keys}
    doubled = {article_id: n for article_id, n in counts.items() if n > 1}
    assert not doubled, f"published more than once: {doubled}"
    assert counts.keys() == expected, f"missing: {len(expected - counts.keys())}"
    assert progress == sorted(progress) and progress[-1] > 0, progress  # killed while publishing
    print(
        f"{len(expected)} items, {len(articles)} records, {len(counts)} distinct ids, "
        f"published before each kill: {progress}, {elapsed:.1f}s"
    )

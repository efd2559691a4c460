"""Feed ingestion at scale (issue 3), on a loopback feed farm (see farm.py).

`feeds[first_pass]`: `newswire ingest --feeds FILE --once` (a child process, every feed new)
polls F feeds of 50 items and publishes them, twice, each time on topics of its own; the bare
component is stock `feedparser.parse` (its defaults, in a process that does not load newswire's
parser, which tunes feedparser) on the same bytes, before, between and after the passes: on a
shared machine one reading drifts with the load, and each pass is measured between two. Items
per CPU-second of each over all its runs (the child's CPU, all threads, from its exit); the bar:
at least 60% of bare feedparser.
`feeds[steady]`: the same command again: every feed answers 304 to the conditional GET, and
nothing new may be published. Polls per second from the farm's first to its last 304; the bare
component is an httpx client, in a process of its own, making the same conditional GETs with as
many threads as ingest polls at once. The bar: at least 500 feeds per second per ingest process.
`feeds[memory]`: `newswire ingest --feeds FILE` (running on) with 10,000 feeds of 5 items, its
VmRSS once every item is published; the bare component is the same service with no feeds. The
bar: under 250 MB.
`feeds[fetch]`: the CPU per fetch of every feed's whole body, 16 at a time, by ingest's fetcher
(connections pooled per host) against a bare httpx client (one pool for all hosts).

    .venv/bin/python -m bench.feeds [--quick] [--feeds N] [--items N] [--memory-feeds N]
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import httpx
import yaml
from kafka import TopicPartition

from bench.children import Child, reaped_cpu_s, service_env
from bench.farm import CONTENT_TYPE, Farm, Served
from bench.harness import (
    Broker,
    Result,
    Run,
    arguments,
    argv_of,
    broker,
    clock,
    fresh_topics,
    log,
    per_second,
    ratio,
)
from bench.topics import Reader
from newswire.kafka.clients import make_consumer, make_producer
from newswire.kafka.serde import article_key
from newswire.settings import KafkaSettings, TopicSettings
from schemas import Source, utc_now
from services.ingest.fetch import Fetcher, FetchSettings
from services.ingest.normalize import build_article
from services.ingest.parse import parse_feed
from services.ingest.settings import IngestSettings

# About the articles of one of ingest's transactions in its first pass over the farm.
STAGE_TRANSACTION = 340
RUN_TIMEOUT = 1800.0
MIN_PUBLISHED = 0.98
SETTLE = 2.0  # seconds after the last item before memory is read
FIRST_PASSES = 2
CONCURRENCY = IngestSettings.model_fields["max_concurrent_polls"].default


def write_feeds(path: Path, farm: Farm) -> Path:
    entries = [{"url": url, "name": f"farm-{n}"} for n, url in enumerate(farm.urls())]
    path.write_text(yaml.safe_dump({"feeds": entries}), encoding="utf-8")
    return path


def ingest_env(kafka: KafkaSettings, topics: TopicSettings) -> dict[str, str]:
    return service_env(kafka, topics, NEWSWIRE_ALLOW_PRIVATE_ADDRESSES="1")


def ingest_once(
    env: dict[str, str], feeds: Path, seeds: Path, log_path: Path
) -> tuple[float, float]:
    """Runs `newswire ingest --once`; its wall-clock and CPU seconds."""
    cpu = reaped_cpu_s()
    started = time.perf_counter()
    args = ["ingest", "--feeds", str(feeds), "--seeds", str(seeds), "--once"]
    child = Child(args, env, log_path)
    code = child.wait(RUN_TIMEOUT)
    wall = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"newswire ingest --once exited with {code}; see {log_path}")
    return wall, reaped_cpu_s() - cpu


def end_offsets(kafka: KafkaSettings, topic: str) -> int:
    consumer = make_consumer(kafka, "bench-offsets", None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def bare_parse(farm: Farm) -> tuple[float, int]:
    """CPU seconds stock `feedparser.parse` takes over every feed's bytes, and the items it
    finds, in a process of its own (bench/stock_feedparser.py)."""
    command = [sys.executable, "-m", "bench.stock_feedparser", str(farm.feeds), str(farm.items)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout)
    return float(figures["cpu_s"]), int(figures["items"])


def stage_costs(farm: Farm, kafka: KafkaSettings, topic: str) -> tuple[float, float]:
    """CPU microseconds per item of the two stages no ingest can do without, each alone on the
    farm's bytes: `parse_feed` (feedparser and the items' text), and sending the articles it
    gives in transactions of `STAGE_TRANSACTION` with ingest's producer settings (the CPU of
    kafka-python's I/O thread included). The farm's server idles meanwhile."""
    headers = {"content-type": CONTENT_TYPE}
    with clock() as parsing:
        parsed = [parse_feed(farm.body(n), headers, farm.url(n)) for n in range(farm.feeds)]
    now = utc_now()
    articles = [
        build_article(draft, Source(kind=feed.kind, feed_url=farm.url(n)), now)
        for n, feed in enumerate(parsed)
        for draft in feed.items
    ]
    producer = make_producer(kafka, "bench-stages", transactional_id=f"bench-stages-{topic}")
    try:
        producer.init_transactions()
        with clock() as sending:
            for start in range(0, len(articles), STAGE_TRANSACTION):
                producer.begin_transaction()
                for article in articles[start : start + STAGE_TRANSACTION]:
                    producer.send(topic, key=article_key(article), value=article)
                producer.commit_transaction()
    finally:
        producer.close()
    return (
        round(parsing.cpu / len(articles) * 1e6, 1),
        round(sending.cpu / len(articles) * 1e6, 1),
    )


def _in_own_process(function: Callable[..., float], *args: object) -> float:
    """`function(*args)` in a fresh process: in this one it would share the GIL with the farm's
    server, and its CPU would be counted with the server's."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as process:
        return process.submit(function, *args).result(timeout=RUN_TIMEOUT)


def bare_polls(farm: Farm) -> float:
    """Conditional GETs per second of an httpx client, `CONCURRENCY` threads, every feed once,
    in a process of its own as ingest is."""
    etags = [farm.etag(number) for number in range(farm.feeds)]
    return _in_own_process(_timed_polls, farm.urls(), etags)


def _timed_polls(urls: list[str], etags: list[str]) -> float:
    limits = httpx.Limits(max_connections=100)
    with httpx.Client(limits=limits, timeout=30) as client:

        def poll(number: int) -> int:
            headers = {"If-None-Match": etags[number]}
            # Streamed and closed unread, as ingest does: httpcore 1.0.9 scans every pooled
            # connection for each request, so a client that reads the (empty) body keeps a
            # connection to each of the farm's hosts and spends several times the CPU per poll.
            with client.stream("GET", urls[number], headers=headers) as response:
                return response.status_code

        with ThreadPoolExecutor(CONCURRENCY) as pool, clock() as span:
            statuses = list(pool.map(poll, range(len(urls))))
    if set(statuses) != {304}:
        raise RuntimeError(f"the bare client got {sorted(set(statuses))}, not only 304")
    return per_second(len(urls), span.wall)


def fetch_cost(farm: Farm) -> tuple[float, float]:
    """CPU milliseconds per fetch of every feed's whole body, `CONCURRENCY` threads at once: by
    ingest's `Fetcher`, and by a bare httpx client with the same connection limit. Each runs in a
    process of its own (the farm's server runs in this one), whose CPU is what is measured."""
    urls = farm.urls()
    return _in_own_process(_timed_fetches, urls, False), _in_own_process(_timed_fetches, urls, True)


def _timed_fetches(urls: list[str], bare: bool) -> float:
    settings = FetchSettings(allow_private_addresses=True)
    with contextlib.ExitStack() as stack:
        if bare:
            limits = httpx.Limits(max_connections=settings.max_connections)
            client = stack.enter_context(httpx.Client(limits=limits, timeout=30))

            def fetch(url: str) -> int:
                with client.stream("GET", url) as response:
                    return len(response.read())

        else:
            fetcher = stack.enter_context(Fetcher(settings))

            def fetch(url: str) -> int:
                return len(fetcher.fetch(url).body)

        with ThreadPoolExecutor(CONCURRENCY) as pool, clock() as span:
            sizes = list(pool.map(fetch, urls))
    if not all(sizes):
        raise RuntimeError("a fetch of the farm came back empty")
    return round(span.cpu / len(urls) * 1000, 3)


def first_and_steady(shared: Broker, feeds: int, items: int) -> list[Result]:
    kafka = shared.kafka
    farm = Farm(feeds, items)
    farm.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-feeds-") as directory:
            feeds_file = write_feeds(Path(directory) / "feeds.yaml", farm)
            seeds = Path(directory) / "no-seeds"
            seeds.mkdir()
            bare_cpu, expected = bare_parse(farm)
            bare_cpus, walls, cpus, published = [bare_cpu], [], [], []
            for number in range(1, FIRST_PASSES + 1):
                topics = fresh_topics(kafka, "feeds")  # a first pass: no state, nothing seen
                env = ingest_env(kafka, topics)
                log(f"feeds: first pass {number} of {FIRST_PASSES}, {feeds} feeds of {items} items")
                log_path = shared.results / f"feeds-first-pass-{number}.log"
                wall, cpu = ingest_once(env, feeds_file, seeds, log_path)
                walls.append(wall)
                cpus.append(cpu)
                bare_cpus.append(bare_parse(farm)[0])
                with Reader(kafka, [topics.raw]) as reader:
                    published.append(len(reader.read(expected, timeout=120)))
            # The steady pass runs on the last first pass's topics, so on the state it left.
            offsets = end_offsets(kafka, topics.raw)
            log("feeds: steady pass (all 304)")
            farm.reset_counts()
            steady_wall, steady_cpu = ingest_once(
                env, feeds_file, seeds, shared.results / "feeds-steady.log"
            )
            served = farm.served.get(304, Served())
            polls, span = served.count, served.last - served.first  # before the bare client's
            added = end_offsets(kafka, topics.raw) - offsets
            bare_rate = bare_polls(farm)
            fetch_ms, bare_fetch_ms = fetch_cost(farm)
            parse_us, send_us = stage_costs(farm, kafka, fresh_topics(kafka, "feeds-stages").raw)
    finally:
        farm.stop()
    rate = per_second(sum(published), sum(cpus))
    bare_rate_of_pass = per_second(len(bare_cpus) * expected, sum(bare_cpus))
    parse_ratio = ratio(rate, bare_rate_of_pass)
    # What the ratio would be if ingest spent nothing beyond fetching, parsing and sending.
    floor_us = parse_us + send_us + fetch_ms * 1000 / items
    best_ratio = ratio(1e6 / floor_us, bare_rate_of_pass)
    first = Result(
        name="feeds[first_pass]",
        figures={
            "feeds": feeds,
            "items": expected,
            "passes": FIRST_PASSES,
            "published": min(published),
            "published_share": round(min(published) / expected, 4),
            "items_per_cpu_s": rate,
            "items_per_s": per_second(sum(published), sum(walls)),
            "wall_s": [round(wall, 1) for wall in walls],
            "cpu_us_per_item": [
                round(cpu / max(1, n) * 1e6, 1) for cpu, n in zip(cpus, published, strict=True)
            ],
            "parse_feed_cpu_us_per_item": parse_us,
            "send_cpu_us_per_item": send_us,
            "ratio_if_only_fetch_parse_send": best_ratio,
        },
        bare={
            "component": "stock feedparser.parse, before, between and after the passes",
            "items_per_cpu_s": bare_rate_of_pass,
            "readings": [per_second(expected, cpu) for cpu in bare_cpus],
        },
        ratio=parse_ratio,
        ratio_basis="items_per_cpu_s",
        target=">= 0.6, and >= 98% of the items published",
        met=min(published) >= MIN_PUBLISHED * expected and (parse_ratio or 0) >= 0.6,
        notes=[
            "ingest's CPU includes its start-up; stock feedparser runs with its defaults, in a "
            "process of its own",
            "parse_feed and send: each stage alone in the benchmark's process on the same "
            "items; ratio_if_only_fetch_parse_send is the ratio ingest would reach if it spent "
            "no CPU beyond them and its fetches",
        ],
    )
    poll_rate = per_second(polls, span)
    steady = Result(
        name="feeds[steady]",
        figures={
            "feeds": feeds,
            "not_modified": polls,
            "polls_per_s": poll_rate,
            "process_cpu_s": round(steady_cpu, 2),
            "raw_offsets_added": added,
            "process_wall_s": round(steady_wall, 1),
        },
        bare={"component": f"httpx, {CONCURRENCY} threads", "polls_per_s": bare_rate},
        ratio=ratio(poll_rate, bare_rate),
        ratio_basis="polls_per_s",
        target="polls_per_s >= 500, nothing new published",
        met=poll_rate >= 500 and polls == feeds and added == 0,
    )
    fetch = Result(
        name="feeds[fetch]",
        figures={"feeds": feeds, "hosts": farm.hosts, "cpu_ms_per_fetch": fetch_ms},
        bare={
            "component": f"httpx.Client, one pool, {CONCURRENCY} threads",
            "cpu_ms_per_fetch": bare_fetch_ms,
        },
        ratio=ratio(fetch_ms, bare_fetch_ms),
        ratio_basis="cpu_ms_per_fetch",
        target="cpu_ms_per_fetch <= bare",
        met=fetch_ms <= bare_fetch_ms,
    )
    return [first, steady, fetch]


def memory(shared: Broker, feeds: int) -> Result:
    kafka = shared.kafka
    farm = Farm(feeds, items=5)
    farm.start()
    rss: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-feeds-") as directory:
            seeds = Path(directory) / "no-seeds"
            seeds.mkdir()
            for label, farm_or_none in (("bare", None), ("service", farm)):
                topics = fresh_topics(kafka, f"feeds-memory-{label}")
                feeds_file = Path(directory) / f"{label}.yaml"
                if farm_or_none is None:
                    feeds_file.write_text("feeds: []\n", encoding="utf-8")
                else:
                    write_feeds(feeds_file, farm_or_none)
                args = ["ingest", "--feeds", str(feeds_file), "--seeds", str(seeds)]
                env = ingest_env(kafka, topics)
                with Child(args, env, shared.results / f"feeds-memory-{label}.log") as child:
                    expected = feeds * 5 if farm_or_none is not None else 0
                    with Reader(kafka, [topics.raw]) as reader:
                        found = len(reader.read(expected, timeout=RUN_TIMEOUT))
                    time.sleep(SETTLE)  # no feed is due again for minutes
                    child.check_alive()
                    rss[label] = child.rss_mb()
                    log(f"feeds: memory {label}: {found} of {expected} items, {rss[label]} MiB")
    finally:
        farm.stop()
    return Result(
        name="feeds[memory]",
        figures={"feeds": feeds, "items": feeds * 5, "rss_mb": rss["service"]},
        bare={"component": "the same service with no feeds", "rss_mb": rss["bare"]},
        ratio=ratio(rss["service"], rss["bare"]),
        ratio_basis="rss_mb",
        target="rss_mb < 250",
        met=rss["service"] < 250,
    )


def main() -> None:
    sizes = {"feeds": (2_000, 60), "items": (50, 50), "memory_feeds": (10_000, 200)}
    args = arguments(__doc__, sizes)
    run = Run("bench.feeds", argv_of(args, *sizes))
    with broker(args.quick) as shared:
        for result in first_and_steady(shared, args.feeds, args.items):
            run.emit(result)
        run.emit(memory(shared, args.memory_feeds))


if __name__ == "__main__":
    main()

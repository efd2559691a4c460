"""End-to-end latency at a steady offered load of 20 articles/s, exactly-once on.

`newswire enrich` runs as a child process (default settings: exactly-once, batches of up to 32).
After a warm-up (every article of it enriched, the group stable), a sender thread publishes raw
articles to the raw topic on a fixed schedule, one every 1/20 s whatever happens downstream (an
open loop, so a slow service cannot slow the offered load and hide its own delay). A
read_committed consumer over the raw and the enriched topics takes the time each record becomes
readable; the latency of an article is that moment minus the moment its raw record was published
(the `send` call, which also stamps the record's timestamp). The bar is for 20 articles/s;
`make bench` also runs 5 articles/s, well below what one enrich process can do, to show the
latency of the path itself when no queue builds up. `--workers N` runs `newswire enrich
--workers N` instead of the default single process (not part of the suite: it tunes the service).

The bare figure is the Kafka hop alone: the same raw records, readable read_committed on the raw
topic, measured by the same consumer at the same time. Reported: p50, p90, p99 and the maximum,
and the enrich process's CPU use during the run (one core = 1.0), which says how close to
saturation 20 articles/s drives it. The samples are saved for the plot in bench/results/full/
(bench/results/quick/ with --quick).

    .venv/bin/python -m bench.latency [--quick] [--seconds S] [--rate R] [--workers N]
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from kafka import KafkaProducer

from bench.children import Child, service_env, wait_for_group
from bench.corpus import drafts, raw_articles
from bench.harness import (
    REPO,
    Broker,
    Figures,
    Result,
    Run,
    arguments,
    argv_of,
    broker,
    fresh_topics,
    log,
    percentile,
    ratio,
)
from bench.topics import Reader, feed
from newswire.kafka.clients import make_producer
from newswire.kafka.serde import article_key
from schemas import RawArticle

TARGET_P99 = 1.5
WARM_UP = 24
DRAIN_TIMEOUT = 120.0


def samples_path(results: Path, rate: int, workers: int) -> Path:
    """Where the latency samples go; the result names the file, for plot.py."""
    return results / f"latency-samples-{rate}{'' if workers == 1 else f'-w{workers}'}.json"


class Sender(threading.Thread):
    """Publishes `articles` at `rate` per second on a fixed schedule; notes when each went."""

    def __init__(self, producer: KafkaProducer, topic: str, articles: list[RawArticle], rate: int):
        super().__init__(name="bench-sender", daemon=True)
        self._producer = producer
        self._topic = topic
        self._articles = articles
        self._rate = rate
        self.sent_at: dict[bytes, float] = {}
        self.behind = 0.0  # the longest the schedule slipped, seconds

    def run(self) -> None:
        start = time.time()
        for number, article in enumerate(self._articles):
            due = start + number / self._rate
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            self.behind = max(self.behind, -pause)
            key = article_key(article)
            now = time.time()
            self.sent_at[key] = now
            self._producer.send(self._topic, key=key, value=article, timestamp_ms=int(now * 1000))
        self._producer.flush()


def summary(latencies: list[float]) -> Figures:
    if not latencies:
        return {"count": 0}
    return {
        "count": len(latencies),
        "p50_s": round(percentile(latencies, 50), 3),
        "p90_s": round(percentile(latencies, 90), 3),
        "p99_s": round(percentile(latencies, 99), 3),
        "max_s": round(max(latencies), 3),
    }


def measure(shared: Broker, seconds: int, rate: int, workers: int) -> Result:
    kafka = shared.kafka
    topics = fresh_topics(kafka, "latency")
    env = service_env(kafka, topics)
    articles = raw_articles(drafts(WARM_UP + seconds * rate, "news", seed=2))
    warm, steady = articles[:WARM_UP], articles[WARM_UP:]
    args = ["enrich", *(["--workers", str(workers)] if workers > 1 else [])]
    with Child(args, env, shared.results / "latency-enrich.log") as child:
        with Reader(kafka, [topics.enriched], from_beginning=False) as reader:
            feed(kafka, topics.raw, warm)
            if len(reader.read(len(warm), timeout=180)) < len(warm):
                raise RuntimeError("the warm-up articles were not enriched in time")
        wait_for_group(kafka, env["NEWSWIRE_GROUP_ID"], workers, 60)
        log(f"latency: {len(steady)} articles at {rate}/s")
        producer = make_producer(kafka, "bench-load")
        hop: dict[bytes, float] = {}
        end_to_end: dict[bytes, float] = {}
        with Reader(kafka, [topics.raw, topics.enriched], from_beginning=False) as reader:
            cpu = child.cpu_s()
            sender = Sender(producer, topics.raw, steady, rate)
            sender.start()
            deadline = time.monotonic() + seconds + DRAIN_TIMEOUT
            while len(end_to_end) < len(steady) and time.monotonic() < deadline:
                polled = reader.poll(50)
                seen = time.time()
                for record in polled:
                    arrived = hop if record.topic == topics.raw else end_to_end
                    arrived.setdefault(record.key, seen)
            cpu = child.cpu_s() - cpu
            sender.join()
        producer.close()
    latencies = [end_to_end[k] - sent for k, sent in sender.sent_at.items() if k in end_to_end]
    hops = [hop[k] - sent for k, sent in sender.sent_at.items() if k in hop]
    lost = len(steady) - len(latencies)
    samples = samples_path(shared.results, rate, workers)
    samples.parent.mkdir(parents=True, exist_ok=True)
    samples.write_text(
        json.dumps({"rate": rate, "end_to_end_s": latencies, "raw_hop_s": hops}), encoding="utf-8"
    )
    figures: Figures = {
        "offered_per_s": rate,
        "seconds": seconds,
        **summary(latencies),
        "not_enriched_in_time": lost,
        "sender_behind_max_s": round(sender.behind, 3),
        "enrich_cpu_cores": round(cpu / (seconds + 1e-9), 2),
        "delivery": "exactly_once",
        "workers": workers,
        "samples_file": str(samples.relative_to(REPO)),
    }
    p99 = percentile(latencies, 99)
    return Result(
        name=f"latency[{rate}/s]" if workers == 1 else f"latency[{rate}/s, {workers} workers]",
        figures=figures,
        bare={"component": "Kafka hop: raw record readable (read_committed)", **summary(hops)},
        ratio=ratio(percentile(latencies, 50), percentile(hops, 50)),
        ratio_basis="p50_s",
        target=f"p99 < {TARGET_P99} s",
        met=lost == 0 and p99 < TARGET_P99,
    )


def main() -> None:
    args = arguments(__doc__, {"seconds": (60, 8), "rate": (20, 20), "workers": (1, 1)})
    run = Run("bench.latency", argv_of(args, "seconds", "rate", "workers"))
    with broker(args.quick) as shared:
        run.emit(measure(shared, args.seconds, args.rate, args.workers))


if __name__ == "__main__":
    main()

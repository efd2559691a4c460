"""Each service at work as a child process, fed articles in steps (memory.py and profile.py).

A workload is a running service, the articles it will be given, and a read_committed reader of
the topic it writes. Ingest (`newswire ingest --seeds DIR`, running as it would for days) is
given new `.jsonl` seed files, written aside and renamed into its directory so it never reads
half a file. Enrich (`newswire enrich`) is given raw records, published by the benchmark.
`advance` gives the next articles and waits until every one of them is readable downstream.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.children import Child, service_env
from bench.corpus import drafts, raw_articles, write_seeds
from bench.harness import Broker, fresh_topics, log
from bench.topics import Reader, feed

STEP_TIMEOUT = 600.0

Give = Callable[[int, int], None]  # makes articles [start, end) available to the service


@dataclass
class Workload:
    service: str
    child: Child
    reader: Reader
    give: Give
    total: int
    done: int = 0

    def advance(self, count: int) -> None:
        """Gives the service its next `count` articles and waits until all are out."""
        end = min(self.total, self.done + count)
        self.give(self.done, end)
        found = len(self.reader.read(end - self.done, timeout=STEP_TIMEOUT))
        self.child.check_alive()
        if found < end - self.done:
            raise RuntimeError(f"{self.service}: {found} of {end - self.done} came out in time")
        self.done = end
        log(f"{self.service}: {self.done} of {self.total} articles through")


@contextmanager
def ingest_workload(shared: Broker, total: int, label: str) -> Iterator[Workload]:
    topics = fresh_topics(shared.kafka, label)
    items = drafts(total, "prose", seed=3)
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        seeds, staging = directory / "seeds", directory / "staging"
        seeds.mkdir()

        def give(start: int, end: int) -> None:
            write_seeds(staging, items[start:end])
            for path in sorted(staging.iterdir()):
                path.rename(seeds / f"{start:08d}-{path.name}")

        env = service_env(shared.kafka, topics, NEWSWIRE_SEED_SCAN_INTERVAL="0.5")
        child = stack.enter_context(
            Child(["ingest", "--seeds", str(seeds)], env, shared.results / f"{label}.log")
        )
        reader = stack.enter_context(Reader(shared.kafka, [topics.raw]))
        yield Workload("ingest", child, reader, give, total)


@contextmanager
def enrich_workload(shared: Broker, total: int, label: str) -> Iterator[Workload]:
    topics = fresh_topics(shared.kafka, label)
    articles = raw_articles(drafts(total, "news", seed=4))

    def give(start: int, end: int) -> None:
        feed(shared.kafka, topics.raw, articles[start:end])

    env = service_env(shared.kafka, topics)
    with (
        Child(["enrich"], env, shared.results / f"{label}.log") as child,
        Reader(shared.kafka, [topics.enriched]) as reader,
    ):
        yield Workload("enrich", child, reader, give, total)


WORKLOADS = {"ingest": ingest_workload, "enrich": enrich_workload}

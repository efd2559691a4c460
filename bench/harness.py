"""What every benchmark shares: the broker, the machine, the clocks, and the one JSON line.

Each benchmark prints one JSON line per result (see `Result`): its figures, the bare component's
figures measured in the same run on the same data, their ratio, the target, the load average
during the run and the machine. The suite sets `BENCH_KAFKA_BOOTSTRAP` and
`BENCH_KAFKA_DATA_DIR` to share one embedded broker between benchmarks; run alone, a benchmark
starts its own in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from newswire.broker import KAFKA_VERSION, EmbeddedBroker
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.lifecycle import tune_for_throughput
from newswire.settings import KafkaSettings, TopicSettings

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
PYTHON = ".venv/bin/python"
ENV_BOOTSTRAP = "BENCH_KAFKA_BOOTSTRAP"
ENV_DATA_DIR = "BENCH_KAFKA_DATA_DIR"

Figures = dict[str, object]


def results_dir(quick: bool) -> Path:
    """Where a run writes its logs, samples and profiles: a quick run never overwrites a full
    run's files, which docs/benchmarks.md points to."""
    return RESULTS / ("quick" if quick else "full")


@dataclass(frozen=True)
class Broker:
    """A running broker: how to reach it, where it keeps its logs (for their size), and
    where this run writes its own files (`results_dir`)."""

    kafka: KafkaSettings
    data_dir: Path
    results: Path


@contextmanager
def broker(quick: bool) -> Iterator[Broker]:
    """The suite's broker when it shares one, else an embedded broker of this benchmark's own."""
    results = results_dir(quick)
    results.mkdir(parents=True, exist_ok=True)
    shared = os.environ.get(ENV_BOOTSTRAP)
    if shared:
        kafka = KafkaSettings(bootstrap_servers=shared)
        yield Broker(kafka, Path(os.environ[ENV_DATA_DIR]), results)
        return
    with EmbeddedBroker() as embedded:
        kafka = KafkaSettings(bootstrap_servers=embedded.bootstrap_servers)
        yield Broker(kafka, embedded.data_dir, results)


def fresh_topics(kafka: KafkaSettings, label: str, partitions: int = 6) -> TopicSettings:
    """Topic names no other benchmark uses, created now so no timing includes their creation."""
    suffix = f"{label}-{uuid.uuid4().hex[:8]}"
    topics = TopicSettings(
        raw=f"bench.raw.{suffix}",
        enriched=f"bench.enriched.{suffix}",
        dlq=f"bench.dlq.{suffix}",
        ingest_state=f"bench.state.{suffix}",
        ingest_feeds=f"bench.feeds.{suffix}",
        partitions=partitions,
    )
    specs = [TopicSpec(topics.raw), TopicSpec(topics.enriched), TopicSpec(topics.dlq)]
    ensure_topics(kafka, topics, specs)
    return topics


@dataclass
class Span:
    """Wall-clock and CPU time (all threads of this process) of a measured block."""

    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def clock() -> Iterator[Span]:
    span = Span()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield span
    finally:
        span.wall = time.perf_counter() - wall
        span.cpu = time.process_time() - cpu


def per_second(count: float, seconds: float) -> float:
    return round(count / seconds, 2) if seconds > 0 else math.inf


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q`-th percentile (0 < q <= 100): a value that was observed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def machine() -> Figures:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kafka": KAFKA_VERSION,
        "kafka_python": version("kafka-python"),
    }


@dataclass
class Result:
    """One benchmark's outcome: its figures, the bare component's, and `ratio`, the first
    over the second for the figure `ratio_basis` names; `target` is the bar, as text, and
    `met` whether this run cleared it (None where there is no bar)."""

    name: str
    figures: Figures
    bare: Figures
    ratio: float | None
    ratio_basis: str
    target: str
    met: bool | None
    notes: list[str] = field(default_factory=list)


class Run:
    """A benchmark run: records the load around it and prints its results as JSON lines."""

    def __init__(self, module: str, argv: Sequence[str]) -> None:
        self.command = " ".join([PYTHON, "-m", module, *argv])
        tune_for_throughput()  # bare components measured here get the services' settings
        self._load_start = os.getloadavg()
        self._started = datetime.now(UTC)

    def emit(self, result: Result, command: str | None = None) -> Figures:
        line: Figures = {
            "name": result.name,
            "figures": result.figures,
            "bare": result.bare,
            "ratio": result.ratio,
            "ratio_basis": result.ratio_basis,
            "target": result.target,
            "met": result.met,
            "notes": result.notes,
            "load_avg": {
                "start": [round(x, 2) for x in self._load_start],
                "end": [round(x, 2) for x in os.getloadavg()],
            },
            "started_at": self._started.isoformat(timespec="seconds"),
            "command": command or self.command,
            "machine": machine(),
        }
        print(json.dumps(line), flush=True)
        return line


def ratio(value: float, bare: float) -> float | None:
    return round(value / bare, 3) if bare > 0 and math.isfinite(value) else None


def arguments(
    description: str | None,
    sizes: dict[str, tuple[int, int]],
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """Parses `--quick` and one `--NAME N` per size (full, quick); quick picks the smaller.
    `extra` adds a benchmark's own options."""
    parser = argparse.ArgumentParser(description=(description or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="Smaller N, same code.")
    for name in sizes:
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    for name, (full, quick) in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def argv_of(args: argparse.Namespace, *names: str) -> list[str]:
    """The command-line arguments that reproduce `args` (quick flag plus the named sizes)."""
    argv = ["--quick"] if args.quick else []
    for name in names:
        argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    return argv


def log(message: str) -> None:
    """Progress on stderr; stdout carries only the JSON lines."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

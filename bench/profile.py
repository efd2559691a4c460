"""Profiles: where each service spends its CPU on its hot path, sampled by py-spy.

Each service runs as a child process (see workloads.py) and is warmed up with a first step of
articles; then py-spy attaches to it (every thread, frames by function) while it handles the
rest. Samples of a thread that is waiting (in `select`, `Condition.wait`, `sleep`, ...; py-spy's
own idle detection misses these) are dropped, so what is left is where CPU goes. The raw
collapsed stacks and a text summary are saved as profile-<service>.{raw,txt} in
bench/results/full/ (or quick/): the frames with the most samples of their own, the project's
functions with the most samples under them, and the hottest path (from the root, always the
child with the most samples; the project's frames on it, then its last frames).

The bare figure is the share of samples spent inside the bare component of the matching
throughput benchmark: `Tagger.tag` for enrich, kafka-python (producer and its I/O thread) for
ingest. The rest is the service's own cost, which bounds its ratio in those benchmarks.

    .venv/bin/python -m bench.profile [--quick] [--ingest-articles N] [--enrich-articles N]
                                      [--service ingest|enrich]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import (
    REPO,
    Broker,
    Figures,
    Result,
    Run,
    arguments,
    argv_of,
    broker,
)
from bench.workloads import WORKLOADS

RATE = 100  # samples per second
WARM_UP = 0.1  # of the articles, before py-spy attaches
STEPS = 4
PROJECT = ("services/", "newswire/", "schemas/")
TOP = 12

Stacks = Counter[tuple[str, ...]]


WAITS = (
    "select (selectors.py",
    ".select (selectors.py",
    "Condition.wait (threading.py",
    "Event.wait (threading.py",
    "Thread.join (threading.py",
    "_wait_for_tstate_lock (threading.py",
    "sleep (",
    "poll (",
)


def _waiting(frame: str) -> bool:
    return any(wait in frame for wait in WAITS)


def _is_tagger(frame: str) -> bool:
    return frame.startswith("Tagger.tag (services/enrich/tag.py")


def _is_kafka_python(frame: str) -> bool:
    return "(kafka/" in frame


BARE: dict[str, tuple[str, Callable[[str], bool], float]] = {
    "enrich": ("Tagger.tag", _is_tagger, 0.9),
    "ingest": ("kafka-python (send, flush, I/O thread)", _is_kafka_python, 0.8),
}


@contextmanager
def spying(pid: int, raw: Path) -> Iterator[None]:
    """py-spy records `pid` into `raw` (collapsed stacks) until the block ends."""
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid)]
    command += ["--function", "--format", "raw", "--rate", str(RATE), "--output", str(raw)]
    with raw.with_suffix(".log").open("wb") as log:
        spy = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        time.sleep(1.0)  # attached and sampling
        try:
            yield
        finally:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output and exits
            spy.wait(60)


def parse(raw: Path) -> tuple[Stacks, int]:
    """The stacks of running threads, and how many samples were of waiting ones."""
    stacks: Stacks = Counter()
    waiting = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = tuple(stack.split(";"))
        if _waiting(frames[-1]):
            waiting += int(count)
        else:
            stacks[frames] += int(count)
    return stacks, waiting


def _pct(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def _in_project(frame: str) -> bool:
    return any(f"({root}" in frame for root in PROJECT)


def hottest_path(stacks: Stacks, total: int) -> list[tuple[str, float]]:
    """From the root, the child frame with the most samples, while it has at least 5%: the
    project's frames on that path, then its last three."""
    path: list[tuple[str, float]] = []
    prefix: tuple[str, ...] = ()
    while True:
        below: Counter[str] = Counter()
        for stack, count in stacks.items():
            if len(stack) > len(prefix) and stack[: len(prefix)] == prefix:
                below[stack[len(prefix)]] += count
        if not below or _pct(below.most_common(1)[0][1], total) < 5:
            break
        frame, count = below.most_common(1)[0]
        path.append((frame, _pct(count, total)))
        prefix += (frame,)
    tail = path[-3:]
    return [step for step in path[:-3] if _in_project(step[0])] + tail


def summarise(stacks: Stacks, waiting: int, is_bare: Callable[[str], bool]) -> Figures:
    total = sum(stacks.values())
    own: Counter[str] = Counter()
    outside: Counter[str] = Counter()  # own samples of frames not under the bare component
    under: Counter[str] = Counter()
    bare = 0
    for stack, count in stacks.items():
        own[stack[-1]] += count
        for frame in set(stack):
            if _in_project(frame):
                under[frame] += count
        if any(map(is_bare, stack)):
            bare += count
        else:
            outside[stack[-1]] += count
    return {
        "samples": total,
        "waiting_samples_dropped": waiting,
        "bare_share": round(bare / total, 3) if total else None,
        "top_self": [(frame, _pct(count, total)) for frame, count in own.most_common(TOP)],
        "top_inclusive": [(frame, _pct(count, total)) for frame, count in under.most_common(TOP)],
        "top_outside_bare": [
            (frame, _pct(count, total)) for frame, count in outside.most_common(TOP)
        ],
        "hottest_path": hottest_path(stacks, total),
    }


def write_text(path: Path, service: str, command: str, figures: Figures) -> None:
    def table(title: str, rows: object) -> list[str]:
        assert isinstance(rows, list)
        return [f"\n{title}", *(f"  {pct:5.1f}%  {frame}" for frame, pct in rows)]

    lines = [
        f"py-spy profile of newswire {service}: {figures['samples']} samples at {RATE}/s of "
        f"running threads ({figures['waiting_samples_dropped']} of waiting ones dropped)",
        f"reproduce: {command}",
        f"share of samples in the bare component: {figures['bare_share']}",
        *table("frames with the most samples of their own:", figures["top_self"]),
        *table("project functions with the most samples under them:", figures["top_inclusive"]),
        *table("outside the bare component, own samples:", figures["top_outside_bare"]),
        *table("hottest path (from the root, the busiest child):", figures["hottest_path"]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure(shared: Broker, service: str, total: int, command: str) -> Result:
    raw = shared.results / f"profile-{service}.raw"
    with WORKLOADS[service](shared, total, f"profile-{service}") as workload:
        workload.advance(max(1, int(total * WARM_UP)))
        with spying(workload.child.process.pid, raw):
            while workload.done < total:
                workload.advance(total // STEPS)
    component, is_bare, target = BARE[service]
    figures = summarise(*parse(raw), is_bare)
    text = raw.with_suffix(".txt")
    write_text(text, service, command, figures)
    share = figures["bare_share"]
    assert share is None or isinstance(share, float)
    return Result(
        name=f"profile[{service}]",
        figures={**figures, "articles": total, "text": str(text.relative_to(REPO))},
        bare={"component": component, "share_of_samples": share},
        ratio=share,
        ratio_basis="share of CPU samples inside the bare component",
        target=f">= {target} (bounds the throughput ratio)",
        met=share is not None and share >= target,
    )


def main() -> None:
    def service_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--service", choices=tuple(WORKLOADS), help="Default: both.")

    sizes = {"ingest_articles": (8_000, 600), "enrich_articles": (320, 32)}
    args = arguments(__doc__, sizes, service_option)
    run = Run("bench.profile", argv_of(args, *sizes))
    with broker(args.quick) as shared:
        for service in [args.service] if args.service else list(WORKLOADS):
            command = f"{run.command} --service {service}"
            total = getattr(args, f"{service}_articles")
            run.emit(measure(shared, service, total, command), command)


if __name__ == "__main__":
    main()

"""`make bench` and `make bench-quick`: every benchmark, one after another, on one broker.

The suite starts one embedded broker (temporary data directory) and runs each benchmark as a
child process pointed at it (`BENCH_KAFKA_BOOTSTRAP`, `BENCH_KAFKA_DATA_DIR`), so no benchmark
inherits another's threads, caches or memory, and the broker starts once, not eight times. The
JSON lines they print go to bench/results/{full,quick}/results.jsonl; a benchmark that fails is
recorded as such and the others go on. Then report.py writes the tables and the plot:
docs/benchmarks.md and docs/benchmarks.png for the full run, bench/results/quick/ for the quick
one. Logs, latency samples and profiles of each run are in the same folders.

    .venv/bin/python -m bench.suite [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench import report
from bench.harness import ENV_BOOTSTRAP, ENV_DATA_DIR, REPO, Figures, broker, log

# (module, arguments): the full run; the quick one adds --quick to each and skips `full_only`.
BENCHMARKS: list[tuple[str, list[str]]] = [
    ("bench.tag_speed", []),
    ("bench.publish", []),
    ("bench.enrich", []),
    ("bench.latency", []),
    ("bench.latency", ["--rate", "5"]),
    ("bench.memory", []),
    ("bench.profile", []),
    ("bench.feeds", []),
]
FULL_ONLY = {("bench.latency", ("--rate", "5"))}


def run_one(module: str, args: list[str], env: dict[str, str]) -> list[Figures]:
    """The JSON lines of one benchmark, or one line saying how it failed."""
    command = [sys.executable, "-m", module, *args]
    log(f"suite: {' '.join(command[1:])}")
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    lines: list[Figures] = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        lines.append(
            {
                "name": module.removeprefix("bench."),
                "error": f"exited with {done.returncode} after {time.monotonic() - started:.0f} s",
                "command": " ".join([".venv/bin/python", "-m", module, *args]),
            }
        )
    for line in lines:
        print(json.dumps(line), flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="Smaller N, same code; < 3 min.")
    parser.add_argument("--only", nargs="*", help="Modules to run, e.g. publish latency.")
    options = parser.parse_args()
    started = time.monotonic()
    results: list[Figures] = []
    with broker(options.quick) as shared:
        env = dict(os.environ)
        env[ENV_BOOTSTRAP] = shared.kafka.bootstrap_servers
        env[ENV_DATA_DIR] = str(shared.data_dir)
        for module, args in BENCHMARKS:
            if options.only and module.removeprefix("bench.") not in options.only:
                continue
            if options.quick and (module, tuple(args)) in FULL_ONLY:
                continue
            results += run_one(module, [*args, *(["--quick"] if options.quick else [])], env)
    elapsed = time.monotonic() - started
    (shared.results / "results.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in results), encoding="utf-8"
    )
    written = report.write(results, quick=options.quick, elapsed=elapsed)
    log(f"suite: {len(results)} results in {elapsed:.0f} s; wrote {', '.join(map(str, written))}")


if __name__ == "__main__":
    main()

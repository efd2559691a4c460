"""Memory: resident memory (VmRSS) of each service, a child process, as the articles go by.

Each service runs as production runs it (`newswire ingest --seeds DIR` and `newswire enrich`,
without `--once`: they would run for days) and is given its articles in ten steps (see
workloads.py); after each step, once every article so far is readable downstream, the benchmark
reads the service's VmRSS. Every article names new people, places and numbers (see corpus.py),
so whatever a service keeps per name it has seen shows up.

The bar: no growth between the 5,000th and the 10,000th article (within 10%): the ratio is
RSS(10,000) / RSS(5,000) of the same process. `--quick` uses 1,000 articles for ingest and 100
for enrich (so 500 vs 1,000 and 50 vs 100).

    .venv/bin/python -m bench.memory [--quick] [--ingest-articles N] [--enrich-articles N]
                                     [--service ingest|enrich]
"""

from __future__ import annotations

import argparse

from bench.harness import Broker, Result, Run, arguments, argv_of, broker, ratio
from bench.workloads import WORKLOADS

TARGET = 1.10
STEPS = 10


def measure(shared: Broker, service: str, total: int) -> Result:
    samples: list[list[float]] = []
    with WORKLOADS[service](shared, total, f"memory-{service}") as workload:
        while workload.done < total:
            workload.advance(total // STEPS)
            samples.append([float(workload.done), workload.child.rss_mb()])
        peak = workload.child.peak_mb()
    half = next(sample for sample in samples if sample[0] >= total / 2)
    full = samples[-1]
    growth = ratio(full[1], half[1])
    return Result(
        name=f"memory[{service}]",
        figures={
            "articles": total,
            "rss_mb": full[1],
            "peak_rss_mb": peak,
            "growth_pct": round(((growth or 0) - 1) * 100, 1),
            "samples": samples,
        },
        bare={"articles": int(half[0]), "rss_mb": half[1]},
        ratio=growth,
        ratio_basis="rss_mb (the same process, at the half-way point)",
        target=f"<= {TARGET}",
        met=growth is not None and growth <= TARGET,
    )


def main() -> None:
    def service_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--service", choices=tuple(WORKLOADS), help="Default: both.")

    sizes = {"ingest_articles": (10_000, 1_000), "enrich_articles": (10_000, 100)}
    args = arguments(__doc__, sizes, service_option)
    run = Run("bench.memory", argv_of(args, *sizes))
    with broker(args.quick) as shared:
        for service in [args.service] if args.service else list(WORKLOADS):
            total = getattr(args, f"{service}_articles")
            run.emit(measure(shared, service, total), f"{run.command} --service {service}")


if __name__ == "__main__":
    main()

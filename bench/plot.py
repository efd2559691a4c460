"""docs/benchmarks.png: throughput (publish, enrichment), latency and memory, from the results."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from bench.harness import REPO, Figures

LATENCY_BAR = 1.5


def _figures(result: Figures, key: str) -> Figures:
    value = result.get(key)
    return value if isinstance(value, dict) else {}


def _num(figures: Figures, key: str) -> float:
    value = figures.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def _named(results: list[Figures], prefix: str) -> list[Figures]:
    return [r for r in results if str(r.get("name", "")).startswith(prefix) and "error" not in r]


def publish(axes: Axes, results: list[Figures]) -> None:
    chosen = _named(results, "publish[")
    codecs = [str(_figures(r, "figures").get("compression")) for r in chosen]
    positions = range(len(chosen))
    for offset, side, label in ((-0.2, "figures", "ingest (seed path)"), (0.2, "bare", "bare")):
        heights = [_num(_figures(r, side), "articles_per_cpu_s") for r in chosen]
        axes.bar([p + offset for p in positions], heights, width=0.4, label=label)
    axes.set_xticks(list(positions), codecs)
    axes.set_ylabel("articles per CPU-second")
    axes.set_title("Publish path, by codec")
    axes.legend()


def enrichment(axes: Axes, results: list[Figures]) -> None:
    bars: list[tuple[str, float]] = []
    for result in _named(results, "tag_speed"):
        figures, bare = _figures(result, "figures"), _figures(result, "bare")
        bars.append(("spaCy NER\n(1 core)", _num(bare, "articles_per_cpu_s")))
        bars.append(("Tagger.tag\n(1 core)", _num(figures, "articles_per_cpu_s")))
    for result in _named(results, "enrich"):
        name = str(result["name"])
        figures, bare = _figures(result, "figures"), _figures(result, "bare")
        if name == "enrich":
            bars.append(("Tagger.tag\n/CPU-s", _num(bare, "articles_per_cpu_s")))
            bars.append(("service\n/CPU-s", _num(figures, "articles_per_cpu_s")))
        elif "[replicas]" in name:
            bars.append(("1 replica\n/s", _num(bare, "articles_per_s")))
            bars.append(("2 replicas\n/s", _num(figures, "articles_per_s")))
        elif "[workers]" in name:
            bars.append(("2 workers\n/s", _num(figures, "articles_per_s")))
    axes.bar([label for label, _ in bars], [value for _, value in bars], color="tab:green")
    axes.set_ylabel("articles per second")
    axes.set_title("Enrichment (~500-word articles)")
    axes.tick_params(axis="x", labelsize=7)


def latency(axes: Axes, results: list[Figures]) -> None:
    for result in _named(results, "latency["):
        figures = _figures(result, "figures")
        rate = _num(figures, "offered_per_s")
        path = REPO / str(figures.get("samples_file"))
        if not path.is_file():
            continue
        samples = json.loads(path.read_text(encoding="utf-8"))
        for key, label in (("end_to_end_s", "end to end"), ("raw_hop_s", "Kafka hop")):
            values = sorted(samples[key])
            if values:
                share = [(index + 1) / len(values) for index in range(len(values))]
                axes.plot(values, share, label=f"{label}, {rate:g}/s")
    axes.axvline(LATENCY_BAR, color="red", linestyle="--", label=f"p99 bar {LATENCY_BAR} s")
    axes.set_xscale("log")
    axes.set_xlabel("seconds from raw publication (read_committed)")
    axes.set_ylabel("share of articles")
    axes.set_title("End-to-end latency, exactly-once")
    axes.legend(fontsize=7)


def memory(axes: Axes, results: list[Figures]) -> None:
    for result in _named(results, "memory["):
        samples = _figures(result, "figures").get("samples")
        if isinstance(samples, list):
            articles, rss = [s[0] for s in samples], [s[1] for s in samples]
            axes.plot(articles, rss, marker="o", label=str(result["name"]))
    axes.set_xlabel("articles through the service")
    axes.set_ylabel("VmRSS, MiB")
    axes.set_ylim(bottom=0)
    axes.set_title("Resident memory")
    axes.legend(fontsize=7)


def draw(results: list[Figures], path: Path) -> None:
    """The four panels, into `path` (the latency samples are in the files the results name)."""
    figure, grid = plt.subplots(2, 2, figsize=(12, 9))
    publish(grid[0][0], results)
    enrichment(grid[0][1], results)
    latency(grid[1][0], results)
    memory(grid[1][1], results)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)

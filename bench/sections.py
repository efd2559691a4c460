"""One section of docs/benchmarks.md per kind of benchmark, each with its reproducing commands.

A renderer gets the results of its kind and every result of the run (the latency section reads
the enrich service's rate to explain a missed bar).
"""

from __future__ import annotations

from collections.abc import Callable

from bench.harness import Figures
from bench.tables import commands, family, fmt, num, section, table
from newswire.kafka.clients import BATCH_BYTES
from newswire.settings import KafkaSettings


def publish_section(results: list[Figures], everything: list[Figures]) -> list[str]:
    rows: list[list[object]] = []
    for result in results:
        ingest, bare = section(result, "figures"), section(result, "bare")
        rows.append(
            [
                f"`{ingest.get('compression')}`",
                ingest.get("articles_per_cpu_s"),
                bare.get("articles_per_cpu_s"),
                result.get("ratio"),
                ingest.get("articles_per_s"),
                bare.get("articles_per_s"),
                ingest.get("wall_ratio"),
                bare.get("cpu_us_per_article"),
                bare.get("log_bytes_per_article"),
                bare.get("compression_ratio"),
                bare.get("read_cpu_us_per_article"),
            ]
        )
    header = [
        "codec",
        "ingest art/CPU-s",
        "bare art/CPU-s",
        "ratio (CPU)",
        "ingest art/s",
        "bare art/s",
        "ratio (wall)",
        "bare producer CPU µs/art",
        "bytes/art on disk",
        "compression",
        "consumer CPU µs/art",
    ]
    return [
        "## 1. Publish path: ingest's seed path vs a bare producer",
        "",
        "Ingest reads `.jsonl` seed files, normalises each article (canonical URL, id, content "
        "hash) and publishes the pass in one transaction (`SeedScanner` → `seed_articles` → "
        "`Transactions.write`); the bare producer (`make_producer`: the same acks=all, "
        "idempotence, codec, linger and transactions) sends the same serialized records. "
        "Medians of alternating rounds; the ratio is per CPU-second of the publishing process, "
        "with the wall-clock one beside it.",
        "",
        *table(header, rows),
        *publish_reading(results, everything),
        *commands(results),
        *recommendation(results),
    ]


def publish_reading(results: list[Figures], everything: list[Figures]) -> list[str]:
    """Where ingest's own CPU goes, from its profile, when the bar is missed."""
    plain = next((r for r in results if section(r, "figures").get("compression") == "none"), None)
    if plain is None or plain.get("met"):
        return []
    ingest, bare = section(plain, "figures"), section(plain, "bare")
    own = num(ingest, "cpu_us_per_article") - num(bare, "cpu_us_per_article")
    text = (
        f"Without compression, ingest spends {fmt(num(ingest, 'cpu_us_per_article'))} µs of CPU "
        f"per article and the bare producer {fmt(num(bare, 'cpu_us_per_article'))} µs: "
        f"{own:.0f} µs per article are ingest's own work (reading, validating and normalising "
        f"each seed article, then serializing it), {own / num(bare, 'cpu_us_per_article'):.1f}x "
        "what the producer itself costs, so no producer setting can bring the ratio to 0.8."
    )
    profile = next((r for r in everything if r.get("name") == "profile[ingest]"), None)
    outside = _pairs(section(profile, "figures").get("top_outside_bare")) if profile else []
    if outside:
        frames = "; ".join(f"`{frame}` {pct:.0f}%" for frame, pct in outside[:4])
        text += f" Its profile's busiest frames outside kafka-python: {frames} of all samples."
    return [text, ""]


def recommendation(results: list[Figures]) -> list[str]:
    """The codec with the fewest bytes (within 5%), the cheapest in CPU among those."""
    codecs = {str(section(r, "bare").get("compression")): section(r, "bare") for r in results}
    if "none" not in codecs or len(codecs) < 2:
        return []

    def cpu(figures: Figures) -> float:
        return num(figures, "cpu_us_per_article") + num(figures, "read_cpu_us_per_article")

    fewest = min(num(figures, "log_bytes_per_article") for figures in codecs.values())
    close = [c for c, f in codecs.items() if num(f, "log_bytes_per_article") <= fewest * 1.05]
    pick = min(close, key=lambda codec: cpu(codecs[codec]))
    chosen, plain = codecs[pick], codecs["none"]
    extra = cpu(chosen) - cpu(plain)
    return [
        "### Compression: which default",
        "",
        f"**Recommended default: `KAFKA_COMPRESSION_TYPE={pick}`** (today "
        f"`{KafkaSettings.model_fields['compression_type'].default}`, in "
        "`newswire/settings.py`). It stores and sends "
        f"{num(plain, 'log_bytes_per_article') / num(chosen, 'log_bytes_per_article'):.1f}x fewer "
        f"bytes per article than `none` ({fmt(num(chosen, 'log_bytes_per_article'))} instead of "
        f"{fmt(num(plain, 'log_bytes_per_article'))}), for {extra:+.0f} µs of producer and "
        "consumer CPU per article. The rule: the fewest bytes on disk (within 5%), then the "
        "least CPU. Why bytes win here: newswire moves tens of articles a second, not thousands, "
        "and tagging one costs tens of milliseconds (see Enrichment), so a few hundred "
        "microseconds of compression is lost in the noise, while raw and enriched records are "
        "kept for replay, and every byte saved is saved on disk, on the network and in the "
        "consumers' fetches.",
        "",
        "Caveats: kafka-python compresses each batch on its own, so the ratio depends on the "
        f"batch size ({BATCH_BYTES // 1024} KiB, `newswire/kafka/clients.py`) and on the text: "
        "the benchmark's generated prose repeats more than real news does. Every codec's "
        "library is a runtime dependency (`zstandard`, `lz4`, `python-snappy`; `gzip` needs "
        "none), so any setting works and consumers read whatever codec a producer chose. "
        "The broker keeps the producer's codec (`compression.type=producer`), so what is on "
        "disk is what was sent.",
        "",
    ]


def enrich_section(results: list[Figures], _all: list[Figures]) -> list[str]:
    lines = ["## 2. Enrichment: the Kafka service vs `Tagger.tag`", ""]
    rows: list[list[object]] = []
    for result in results:
        figures, bare = section(result, "figures"), section(result, "bare")
        if family(result) == "enrich_scaling":
            what = f"{fmt(figures.get('replicas'))} replica(s) x {fmt(figures.get('workers'))}"
            rows.append(
                [
                    f"`{result['name']}`",
                    f"{what}: {fmt(figures.get('articles_per_s'))} art/s, "
                    f"{fmt(figures.get('memory_mb'))} MB",
                    f"1 x 1: {fmt(bare.get('articles_per_s'))} art/s, "
                    f"{fmt(bare.get('memory_mb'))} MB",
                    result.get("ratio"),
                ]
            )
            continue
        wall = figures.get("articles_per_s")
        rows.append(
            [
                f"`{result['name']}`",
                f"{fmt(figures.get('articles_per_cpu_s'))} art/CPU-s"
                + (f" ({fmt(wall)} art/s wall clock)" if wall is not None else ""),
                f"{bare.get('component')}: {fmt(bare.get('articles_per_cpu_s'))} art/CPU-s",
                result.get("ratio"),
            ]
        )
    lines += table(["benchmark", "figure", "bare", "ratio"], rows)
    lines += [
        "`tag_speed` is the tagger alone on one pinned core against spaCy's NER alone; `enrich` "
        "runs the service in-process (exactly-once, batches of 32) against the same tagger on "
        "the same articles, per CPU-second of the process (all threads, unpinned); "
        "`enrich_scaling` runs child processes and is per wall-clock second; its memory is "
        "the sum of the processes' PSS once the articles are enriched (pages that workers "
        "share count once).",
        "",
        *commands(results),
    ]
    return lines


def latency_section(results: list[Figures], everything: list[Figures]) -> list[str]:
    rows: list[list[object]] = []
    for result in results:
        figures, bare = section(result, "figures"), section(result, "bare")
        rows.append(
            [
                f"{fmt(figures.get('offered_per_s'))}/s",
                figures.get("p50_s"),
                figures.get("p90_s"),
                figures.get("p99_s"),
                figures.get("max_s"),
                f"{fmt(bare.get('p50_s'))} / {fmt(bare.get('p99_s'))}",
                figures.get("enrich_cpu_cores"),
                figures.get("not_enriched_in_time"),
                result.get("met"),
            ]
        )
    header = [
        "offered",
        "p50 s",
        "p90 s",
        "p99 s",
        "max s",
        "Kafka hop p50 / p99 s",
        "enrich CPU (cores)",
        "late",
        "p99 < 1.5 s",
    ]
    return [
        "## 3. End-to-end latency (raw publication → enriched, read_committed)",
        "",
        "An open-loop sender publishes raw records on a fixed schedule to a `newswire enrich` "
        "child process (default settings, exactly-once); a read_committed consumer times each "
        "record's arrival in the raw topic (the bare Kafka hop) and in the enriched topic.",
        "",
        *table(header, rows),
        *latency_reading(results, everything),
        *commands(results),
    ]


def latency_reading(results: list[Figures], everything: list[Figures]) -> list[str]:
    """Why a missed bar was missed: the offered load against what the service can do."""
    enrich = next((r for r in everything if r.get("name") == "enrich"), None)
    capacity = num(section(enrich, "figures"), "articles_per_cpu_s") if enrich else float("nan")
    lines: list[str] = []
    for result in results:
        figures = section(result, "figures")
        offered, p99 = num(figures, "offered_per_s"), num(figures, "p99_s")
        if result.get("met") or p99 != p99:
            continue
        need = offered / capacity
        why = (
            "more than one process (one consumer, tagging on its main thread) can give, so a "
            "queue builds from the first second and latency grows with the length of the run"
            if need > 1
            else "within one core, yet close enough to it on a shared machine that batches "
            "queue behind each other"
        )
        lines.append(
            f"At {offered:g}/s the p99 of {p99:.2f} s misses the 1.5 s bar by {p99 - 1.5:.2f} s "
            f"({p99 / 1.5:.1f}x). The enrich process used {fmt(figures.get('enrich_cpu_cores'))} "
            f"cores; the service tags {capacity:.1f} articles per CPU-second (`enrich` above), "
            f"so {offered:g} articles/s need {need:.2f} CPU-seconds every second: {why}. The "
            "Kafka hop is milliseconds (the bare column). The profile (section 5) puts almost "
            "all of the service's CPU inside `Tagger.tag` (spaCy NER, then keywords)."
        )
    return [*lines, ""] if lines else []


def memory_section(results: list[Figures], _all: list[Figures]) -> list[str]:
    rows: list[list[object]] = []
    for result in results:
        figures, bare = section(result, "figures"), section(result, "bare")
        rows.append(
            [
                f"`{result['name']}`",
                f"{fmt(bare.get('rss_mb'))} MiB at {fmt(bare.get('articles'))}",
                f"{fmt(figures.get('rss_mb'))} MiB at {fmt(figures.get('articles'))}",
                f"{fmt(figures.get('growth_pct'))}%",
                f"{fmt(figures.get('peak_rss_mb'))} MiB",
                result.get("met"),
            ]
        )
    return [
        "## 4. Memory (VmRSS of each service as a child process)",
        "",
        *table(["service", "half-way", "end", "growth", "peak (VmHWM)", "within 10%"], rows),
        *commands(results),
    ]


def profile_section(results: list[Figures], _all: list[Figures]) -> list[str]:
    lines = [
        "## 5. Profiles (py-spy, every thread, waiting samples dropped)",
        "",
    ]
    for result in results:
        figures, bare = section(result, "figures"), section(result, "bare")
        top_self = _pairs(figures.get("top_self"))
        outside = [(p, f"`{f}`") for f, p in _pairs(figures.get("top_outside_bare"))]
        lines += [
            f"### `{result['name']}`: {fmt(figures.get('samples'))} samples; "
            f"{fmt(bare.get('share_of_samples'))} of them inside {bare.get('component')}",
            "",
            f"Full text: `{figures.get('text')}` (gitignored). Hottest path:",
            "",
            "```",
            *(f"{pct:5.1f}%  {frame}" for frame, pct in _pairs(figures.get("hottest_path"))),
            "```",
            "",
            "Frames with the most samples of their own, everywhere and outside "
            f"{bare.get('component')}:",
            "",
            *table(
                ["% of samples", "frame", "% outside", "frame outside the bare component"],
                [
                    [p, f"`{f}`", *(outside[i] if i < len(outside) else ("", ""))]
                    for i, (f, p) in enumerate(top_self[:8])
                ],
            ),
        ]
    return [*lines, *commands(results)]


def feeds_section(results: list[Figures], _all: list[Figures]) -> list[str]:
    rows: list[list[object]] = []
    for result in results:
        figures, bare = section(result, "figures"), section(result, "bare")
        shown = ", ".join(f"{key} {fmt(value)}" for key, value in figures.items())
        bare_shown = ", ".join(f"{key} {fmt(value)}" for key, value in bare.items())
        name, met = f"`{result['name']}`", result.get("met")
        rows.append([name, shown, bare_shown, result.get("ratio"), met])
    return [
        "## 6. Feeds (issue 3): a loopback farm, first pass, steady state (304), memory",
        "",
        *table(["benchmark", "figures", "bare", "ratio", "met"], rows),
        *commands(results),
    ]


def _pairs(value: object) -> list[tuple[str, float]]:
    return [(str(pair[0]), float(pair[1])) for pair in value] if isinstance(value, list) else []


SECTIONS: list[tuple[tuple[str, ...], Callable[[list[Figures], list[Figures]], list[str]]]] = [
    (("publish",), publish_section),
    (("tag_speed", "enrich", "enrich_scaling"), enrich_section),
    (("latency",), latency_section),
    (("memory",), memory_section),
    (("profile",), profile_section),
    (("feeds",), feeds_section),
]

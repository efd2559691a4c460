"""Enrichment: the Kafka service, exactly-once, vs `Tagger.tag` on the same ~500-word articles.

`enrich`: one `Tagger` (loaded and warmed once) tags the articles in batches of the service's
`batch_size` (the bare component, what `newswire tag` runs), and `EnrichService` with that same
tagger drains the same articles from a raw topic (`run(until_idle)`: consume, tag, produce and
commit each batch in one transaction) into an enriched topic, which is then read back
(read_committed) to check that every article arrived. Passes alternate bare, service, service,
bare, ... The ratio is of articles per CPU-second of this process, all threads counted (the
service's Kafka clients too), which the other work on a shared machine does not move; the
service's wall-clock rate includes its start-up (joining the group) and its final idle wait.

`enrich_scaling`: `newswire enrich` as child processes in one consumer group: one process,
then 2 replicas, then one replica of `--workers 2` and of `--workers 4`: articles per
wall-clock second from the moment the articles are published to the moment the last enriched
one is readable (read_committed), after every member has joined and tagged a warm-up batch.
`memory_mb` is what the processes of every replica hold once done: the sum of their PSS, so
pages that workers share (their models, see services/enrich/workers.py) count once.

    .venv/bin/python -m bench.enrich [--quick] [--articles N] [--rounds N] [--scaling-articles N]
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid

from bench.children import Child, service_env, wait_for_group
from bench.corpus import drafts, raw_articles, words
from bench.harness import (
    Broker,
    Figures,
    Result,
    Run,
    Span,
    arguments,
    argv_of,
    broker,
    clock,
    fresh_topics,
    log,
    per_second,
    ratio,
)
from bench.topics import Reader, feed
from newswire.settings import KafkaSettings, TopicSettings
from schemas import RawArticle
from services.enrich.consume import EnrichService
from services.enrich.settings import EnrichSettings
from services.enrich.tag import Tagger

TARGET = 0.9
UNTIL_IDLE = 0.5
BATCH_SIZE = EnrichSettings.model_fields["batch_size"].default
WARM_UP = 12  # two articles per partition, so every member tags before the clock starts


def tagger_pass(tagger: Tagger, articles: list[RawArticle]) -> Span:
    with clock() as span:
        for start in range(0, len(articles), BATCH_SIZE):
            tagger.tag(articles[start : start + BATCH_SIZE])
    return span


def service_pass(kafka: KafkaSettings, raw: str, tagger: Tagger, count: int) -> Span:
    """The service drains `raw` (a group of its own) into a new enriched topic."""
    suffix = uuid.uuid4().hex[:8]
    topics = TopicSettings(raw=raw, enriched=f"bench.enriched.{suffix}", dlq=f"bench.dlq.{suffix}")
    settings = EnrichSettings(
        kafka=kafka,
        topics=topics,
        metrics_host="127.0.0.1",
        metrics_port=0,
        group_id=f"bench-{suffix}",
        delivery="exactly_once",
        batch_size=BATCH_SIZE,
    )
    with clock() as span:
        EnrichService(settings, tagger, threading.Event()).run(until_idle=UNTIL_IDLE)
    with Reader(kafka, [topics.enriched]) as reader:
        found = len(reader.read(count, timeout=60))
    if found != count:
        with Reader(kafka, [topics.dlq]) as reader:
            dead = len(reader.read(count, timeout=5))
        raise RuntimeError(f"the service enriched {found} of {count} ({dead} dead letters)")
    return span


def compare(shared: Broker, articles: list[RawArticle], rounds: int) -> Result:
    tagger = Tagger(batch_size=BATCH_SIZE)
    tagger.tag(articles[:2])  # first-call costs (lazy caches) are not throughput
    raw = fresh_topics(shared.kafka, "enrich").raw
    feed(shared.kafka, raw, articles)
    spans: dict[str, list[Span]] = {"bare": [], "service": []}
    for number in range(rounds):
        for side in ("bare", "service") if number % 2 == 0 else ("service", "bare"):
            log(f"enrich: {side} pass {number + 1} of {rounds}, {len(articles)} articles")
            if side == "bare":
                spans[side].append(tagger_pass(tagger, articles))
            else:
                spans[side].append(service_pass(shared.kafka, raw, tagger, len(articles)))
    count = len(articles)
    sides: dict[str, Figures] = {}
    rates: dict[str, float] = {}
    for side, measured in spans.items():
        cpu = statistics.median(span.cpu for span in measured)
        wall = statistics.median(span.wall for span in measured)
        rates[side] = per_second(count, cpu)
        sides[side] = {
            "articles": count,
            "words_per_article": round(sum(map(words, articles)) / count),
            "passes": len(measured),
            "articles_per_cpu_s": rates[side],
            "articles_per_s": per_second(count, wall),
            "cpu_s": [round(span.cpu, 2) for span in measured],
            "wall_s": [round(span.wall, 2) for span in measured],
        }
    sides["service"]["delivery"] = "exactly_once"
    sides["service"]["batch_size"] = BATCH_SIZE
    result = ratio(rates["service"], rates["bare"])
    return Result(
        name="enrich",
        figures=sides["service"],
        bare={"component": "Tagger.tag", **sides["bare"]},
        ratio=result,
        ratio_basis="articles_per_cpu_s",
        target=f">= {TARGET}",
        met=result is not None and result >= TARGET,
        notes=["service wall-clock includes joining the group and the final idle wait"],
    )


def children_rate(
    shared: Broker, articles: list[RawArticle], replicas: int, workers: int | None
) -> tuple[float, Figures]:
    """Articles per wall-clock second of `replicas` child services (`workers` each)."""
    label = f"x{replicas}" + (f"w{workers}" if workers else "")
    kafka = shared.kafka
    topics = fresh_topics(kafka, f"scaling-{label}")
    env = service_env(kafka, topics)
    args = ["enrich", *(["--workers", str(workers)] if workers else [])]
    logs = [shared.results / f"enrich-{label}-{number}.log" for number in range(replicas)]
    children = [Child(args, env, path) for path in logs]
    try:
        warm = raw_articles(drafts(WARM_UP, "news", seed=1))
        with Reader(kafka, [topics.enriched], from_beginning=False) as reader:
            feed(kafka, topics.raw, warm)
            if len(reader.read(len(warm), timeout=180)) < len(warm):
                raise RuntimeError("the warm-up articles were not enriched in time")
        wait_for_group(kafka, env["NEWSWIRE_GROUP_ID"], replicas * (workers or 1), 60)
        cpu = sum(child.cpu_s() for child in children)
        with Reader(kafka, [topics.enriched], from_beginning=False) as reader:
            started = time.perf_counter()
            feed(kafka, topics.raw, articles)
            found = len(reader.read(len(articles), timeout=600))
            wall = time.perf_counter() - started
        cpu = sum(child.cpu_s() for child in children) - cpu
        memory = sum(child.tree_pss_mb() for child in children)
    finally:
        for child in children:
            child.stop()
    if found < len(articles):
        raise RuntimeError(f"{label}: {found} of {len(articles)} articles enriched")
    rate = per_second(len(articles), wall)
    return rate, {
        "replicas": replicas,
        "workers": workers or 1,
        "articles": len(articles),
        "articles_per_s": rate,
        "articles_per_cpu_s": per_second(len(articles), cpu),
        "wall_s": round(wall, 2),
        "memory_mb": round(memory, 1),
    }


def scaling(shared: Broker, articles: list[RawArticle], run: Run, quick: bool) -> None:
    """One replica of one process, then two replicas, then one replica of 2 and (unless `quick`:
    four processes loading spaCy on two cores took 20 of the quick suite's 181 s) of 4 workers."""
    one, one_figures = children_rate(shared, articles, 1, None)
    variants: list[tuple[str, int, int | None]] = [
        ("2 replicas", 2, None),
        ("2 workers", 1, 2),
        *([] if quick else [("4 workers", 1, 4)]),
    ]
    for what, replicas, workers in variants:
        more, figures = children_rate(shared, articles, replicas, workers)
        speedup = ratio(more, one)
        run.emit(
            Result(
                name=f"enrich_scaling[{what}]",
                figures=figures,
                bare=one_figures,
                ratio=speedup,
                ratio_basis="articles_per_s (wall clock)",
                target="> 1 (2.0 is the most 2 idle cores allow)",
                met=speedup is not None and speedup > 1,
                notes=[f"1 process vs {what}, child processes, exactly-once"],
            )
        )


def main() -> None:
    sizes = {"articles": (480, 48), "rounds": (2, 1), "scaling_articles": (480, 32)}
    args = arguments(__doc__, sizes)
    run = Run("bench.enrich", argv_of(args, *sizes))
    articles = raw_articles(drafts(max(args.articles, args.scaling_articles), "news"))
    with broker(args.quick) as shared:
        run.emit(compare(shared, articles[: args.articles], args.rounds))
        scaling(shared, articles[: args.scaling_articles], run, args.quick)


if __name__ == "__main__":
    main()

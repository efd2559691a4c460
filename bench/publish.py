"""Publish path: ingest's seed path vs a bare kafka-python producer, for each compression codec.

Ingest side, the service's own code: `SeedScanner` finds the `.jsonl` seed files, `seed_articles`
reads and normalises them (`build_article`: canonical URL, id, content hash), and
`Transactions.write` publishes them in one Kafka transaction and returns once it is committed,
as `newswire ingest` does for each pass over its seeds. Bare side: a kafka-python producer with
the very same settings (`make_producer`: acks=all, idempotence, the codec, linger, transactional)
sends the same serialized records (bytes and headers, made beforehand) in one transaction.

Rounds alternate ingest, bare, bare, ingest, ... after one warm-up pass each; the medians count.
Rates are given per second of wall-clock time and per second of this process's CPU time (all
threads: the producer's I/O thread too); the ratio is the CPU-time one, which the other work on a
shared machine does not move, and the wall-clock ratio is reported beside it. Per codec: bytes
per article on the broker's disk (as sent), the compression ratio against the serialized JSON,
and the CPU a read_committed consumer spends per article reading them back.

    .venv/bin/python -m bench.publish [--quick] [--articles N] [--rounds N] [--compression C]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from kafka import KafkaProducer

from bench.corpus import Record, drafts, serialized, write_seeds
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
from bench.topics import Reader, log_bytes
from newswire.kafka.clients import make_producer
from newswire.kafka.serde import article_key
from newswire.settings import Compression, KafkaSettings
from schemas import utc_now
from services.ingest.publish import Outgoing, Transactions
from services.ingest.seeds import SeedScanner, seed_articles

CODECS: tuple[Compression, ...] = get_args(Compression)
TARGET = 0.8


def ingest_pass(seeds: Path, transactions: Transactions, topic: str) -> int:
    """One pass of ingest over its seeds: read, normalise, publish, committed."""
    scanner = SeedScanner(seeds)
    articles = seed_articles(scanner.changed(), utc_now())
    transactions.write([Outgoing(topic, article_key(article), article) for article in articles])
    scanner.published()
    return len(articles)


def bare_pass(producer: KafkaProducer, topic: str, records: list[Record]) -> int:
    """The same records, already serialized, in one transaction of a bare producer."""
    producer.begin_transaction()
    futures = [
        producer.send(topic, key=key, value=value, headers=list(headers))
        for key, value, headers in records
    ]
    producer.flush()
    for future in futures:
        future.get(timeout=0)
    producer.commit_transaction()
    return len(records)


def read_back(kafka: KafkaSettings, topic: str, count: int) -> Span:
    """CPU and wall time a read_committed consumer takes to read `count` records of `topic`."""
    with Reader(kafka, [topic]) as reader, clock() as span:
        found = len(reader.read(count, timeout=120))
    if found < count:
        raise RuntimeError(f"read {found} of {count} records back from {topic}")
    return span


@dataclass(frozen=True)
class Side:
    per_s: float
    per_cpu_s: float
    figures: Figures


def measure(shared: Broker, codec: Compression, seeds: Path, rounds: int) -> tuple[Side, Side]:
    """The ingest side and the bare side for one codec."""
    kafka = shared.kafka.model_copy(update={"compression_type": codec})
    ingest_topic = fresh_topics(kafka, f"publish-{codec}-ingest").raw
    bare_topic = fresh_topics(kafka, f"publish-{codec}-bare").raw
    records = serialized(seed_articles(SeedScanner(seeds).changed(), utc_now()), bare_topic)
    transactions = Transactions(kafka, f"bench-ingest-{uuid.uuid4().hex}", 60.0, threading.Event())
    bare = make_producer(kafka, "bench-bare", f"bench-bare-{uuid.uuid4().hex}")
    spans: dict[str, list[Span]] = {"ingest": [], "bare": []}
    with transactions:
        transactions.open()
        bare.init_transactions()
        ingest_pass(seeds, transactions, ingest_topic)  # warm-up: metadata, first batches
        bare_pass(bare, bare_topic, records)
        for number in range(rounds):
            order = ("ingest", "bare") if number % 2 == 0 else ("bare", "ingest")
            for side in order:
                with clock() as span:
                    if side == "ingest":
                        ingest_pass(seeds, transactions, ingest_topic)
                    else:
                        bare_pass(bare, bare_topic, records)
                spans[side].append(span)
    bare.close()
    passes = rounds + 1
    value_bytes = sum(len(value) for _, value, _ in records)
    sides: list[Side] = []
    for side, topic in (("ingest", ingest_topic), ("bare", bare_topic)):
        wall = statistics.median(span.wall for span in spans[side])
        cpu = statistics.median(span.cpu for span in spans[side])
        on_disk = log_bytes(shared.data_dir, topic) / (len(records) * passes)
        reading = read_back(kafka, topic, len(records) * passes)
        per_s, per_cpu_s = per_second(len(records), wall), per_second(len(records), cpu)
        figures: Figures = {
            "compression": codec,
            "articles": len(records),
            "rounds": rounds,
            "articles_per_s": per_s,
            "articles_per_cpu_s": per_cpu_s,
            "cpu_us_per_article": round(cpu / len(records) * 1e6, 1),
            "wall_s_median": round(wall, 3),
            "wall_s_all": [round(span.wall, 3) for span in spans[side]],
            "log_bytes_per_article": round(on_disk, 1),
            "json_bytes_per_article": round(value_bytes / len(records), 1),
            "compression_ratio": round(value_bytes / len(records) / on_disk, 2),
            "read_cpu_us_per_article": round(reading.cpu / (len(records) * passes) * 1e6, 1),
        }
        sides.append(Side(per_s, per_cpu_s, figures))
    return sides[0], sides[1]


def main() -> None:
    def codec_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--compression", choices=CODECS, default=None, help="Default: all.")

    args = arguments(__doc__, {"articles": (5000, 500), "rounds": (6, 2)}, codec_option)
    codecs = [args.compression] if args.compression else list(CODECS)
    run = Run("bench.publish", argv_of(args, "articles", "rounds"))
    with broker(args.quick) as shared, tempfile.TemporaryDirectory(prefix="bench-") as directory:
        seeds = Path(directory)
        write_seeds(seeds, drafts(args.articles, "prose"))
        for codec in codecs:
            log(f"publish: {args.articles} articles x {args.rounds} rounds, {codec}")
            ingest, bare = measure(shared, codec, seeds, args.rounds)
            cpu_ratio = ratio(ingest.per_cpu_s, bare.per_cpu_s)
            ingest.figures["wall_ratio"] = ratio(ingest.per_s, bare.per_s)
            run.emit(
                Result(
                    name=f"publish[{codec}]",
                    figures=ingest.figures,
                    bare=bare.figures,
                    ratio=cpu_ratio,
                    ratio_basis="articles_per_cpu_s",
                    target=f">= {TARGET}",
                    met=cpu_ratio is not None and cpu_ratio >= TARGET,
                ),
                command=f"{run.command} --compression {codec}",
            )


if __name__ == "__main__":
    main()

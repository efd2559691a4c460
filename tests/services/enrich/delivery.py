"""Helpers for delivery tests: raw articles to publish, child service processes, and what a topic
holds once no transaction is pending on it."""

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import httpx
import psutil
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from prometheus_client.parser import text_string_to_metric_families

from newswire.kafka.serde import ArticleSerializer, Headers
from newswire.settings import KafkaSettings
from schemas import Source, SourceKind
from services.ingest.normalize import ArticleDraft, build_article
from tests.conftest import free_port, read_topic
from tests.waiting import wait_for


@dataclass(frozen=True)
class Raw:
    """One record for the raw topic."""

    key: bytes
    value: bytes
    headers: Headers


def raw_article(title: str, body: str) -> Raw:
    article = build_article(
        ArticleDraft(title=title, body=body, url=f"https://news.test/{uuid.uuid4().hex}"),
        Source(kind=SourceKind.SEED, path="test"),
        datetime.now(UTC),
    )
    headers: Headers = []
    value = ArticleSerializer().serialize("raw", headers, article)
    return Raw(article.id.encode(), value, headers)


def short_articles(count: int) -> list[Raw]:
    """`count` distinct articles, short enough to be tagged in a few milliseconds each."""
    return [
        raw_article(f"Story {n}", f"Angela Merkel met Emmanuel Macron in Paris on day {n}.")
        for n in range(count)
    ]


def poison(count: int) -> list[Raw]:
    """Records no enricher can read: each must end up once in the dead-letter topic."""
    return [Raw(b"poison-%d" % n, b"\xff\xfe not UTF-8 %d" % n, []) for n in range(count)]


def publish(kafka: KafkaSettings, topic: str, records: Iterable[Raw]) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=5)
    try:
        for record in records:
            producer.send(topic, key=record.key, value=record.value, headers=record.headers)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=5)


class Feed:
    """Publishes fresh short articles at a steady rate, on a thread, until stopped."""

    def __init__(self, kafka: KafkaSettings, topic: str, per_second: int) -> None:
        self.published: list[Raw] = []
        self._kafka = kafka
        self._topic = topic
        self._per_tick = max(1, per_second // 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        producer = KafkaProducer(bootstrap_servers=self._kafka.bootstrap_servers, linger_ms=5)
        try:
            while not self._stop.wait(0.25):
                batch = short_articles(self._per_tick)
                for record in batch:
                    producer.send(
                        self._topic, key=record.key, value=record.value, headers=record.headers
                    )
                producer.flush(timeout=30)
                self.published.extend(batch)
        finally:
            producer.close(timeout=5)

    def stop(self) -> list[Raw]:
        """Stops publishing; returns every article published."""
        self._stop.set()
        self._thread.join(timeout=30)
        return self.published


class Service:
    """A child `python -m newswire <command>` process, its endpoints and its log file; killed
    when its `with` block is left while it still runs."""

    def __init__(
        self, command: str, env: dict[str, str], log_dir: Path, name: str, *args: str
    ) -> None:
        self.port = free_port()
        self.log = log_dir / f"{name}.log"
        line = [sys.executable, "-m", "newswire", command, "--metrics-port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*line, *args],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.alive:
            self.kill()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def readyz(self) -> int | None:
        """The /readyz status, or None when nothing answers."""
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code
        except httpx.HTTPError:
            return None

    def metric(self, name: str, **labels: str) -> float:
        """The sum of `name`'s samples with these labels (0 when nothing answers)."""
        try:
            text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return 0.0
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    def metrics_by(self, name: str, label: str) -> dict[str, float]:
        try:
            text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return {}
        return {
            sample.labels[label]: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and label in sample.labels
        }

    def readiness_until_exit(self, limit: float) -> list[int | None]:
        """/readyz as often as it answers, until the process exits (or `limit` seconds)."""
        statuses: list[int | None] = []
        deadline = time.monotonic() + limit
        with httpx.Client(timeout=1) as client:
            while self.alive and time.monotonic() < deadline:
                try:
                    statuses.append(client.get(f"http://127.0.0.1:{self.port}/readyz").status_code)
                except httpx.HTTPError:
                    statuses.append(None)
        return statuses

    def kill(self) -> int:
        """SIGKILLs the process and its children (`--workers`) at once, as a lost machine would
        end them; returns how many processes that was."""
        parent = psutil.Process(self.process.pid)
        processes = [parent, *parent.children(recursive=True)]
        for process in processes:
            process.kill()
        self.process.wait(timeout=10)
        psutil.wait_procs(processes, timeout=10)
        return len(processes)

    def terminate(self, within: float = 10.0) -> tuple[int, float]:
        """SIGTERM; returns the exit code and the seconds until the process was gone."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=within + 5)
        return code, time.monotonic() - started

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Enrich(Service):
    """A child `python -m newswire enrich` process."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str, *args: str) -> None:
        super().__init__("enrich", env, log_dir, name, *args)

    @property
    def enriched(self) -> float:
        return self.metric("newswire_enrich_articles_total", outcome="enriched")


def group_caught_up(kafka: KafkaSettings, group_id: str, topic: str) -> bool:
    """Whether `group_id` has committed the end of every partition of `topic`."""
    consumer = KafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        ends = consumer.end_offsets(partitions)
        # read_committed: a commit still pending in a transaction is waited for, not read.
        return all((consumer.committed(p, timeout_ms=5000) or 0) >= ends[p] for p in partitions)
    except KafkaError:
        return False
    finally:
        consumer.close()


class TransactionWatch:
    """Sees transactions open on a topic: partitions whose high watermark passed their last
    stable offset, i.e. records written but neither committed nor aborted yet."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._stable = KafkaConsumer(
            bootstrap_servers=kafka.bootstrap_servers, isolation_level="read_committed"
        )
        self._high = KafkaConsumer(
            bootstrap_servers=kafka.bootstrap_servers, isolation_level="read_uncommitted"
        )
        self._partitions = [
            TopicPartition(topic, p) for p in self._stable.partitions_for_topic(topic)
        ]

    def open(self) -> set[TopicPartition]:
        stable = self._stable.end_offsets(self._partitions)
        high = self._high.end_offsets(self._partitions)
        return {p for p in self._partitions if high[p] > stable[p]}

    def wait_for_new(self, timeout: float) -> bool:
        """Waits until a transaction opens on a partition where none was open (a killed
        process's may linger); True if one did within `timeout` seconds."""
        quiet = set(self._partitions) - self.open()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.open() & quiet:
                return True
        return False

    def close(self) -> None:
        self._stable.close()
        self._high.close()


def _end_offsets(kafka: KafkaSettings, topic: str, isolation: str) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, isolation_level=isolation)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


def no_open_transaction(kafka: KafkaSettings, topic: str) -> bool:
    """Whether every partition's last stable offset has reached its high watermark."""
    stable = _end_offsets(kafka, topic, "read_committed")
    return stable == _end_offsets(kafka, topic, "read_uncommitted")


def read_settled(kafka: KafkaSettings, topic: str, timeout: float = 60) -> list[ConsumerRecord]:
    """Every committed record of `topic`, once no transaction on it is left open.

    A SIGKILLed producer's transaction stays open until the broker times it out (10 s, checked
    every 10 s) and hides every later record from read_committed consumers until then.
    """
    wait_for(lambda: no_open_transaction(kafka, topic), timeout, f"open transactions on {topic}")
    return read_topic(kafka, topic)


def read_uncommitted(kafka: KafkaSettings, topic: str) -> list[ConsumerRecord]:
    """Every record of `topic`, aborted ones included."""
    consumer = KafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, isolation_level="read_uncommitted"
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        found: list[ConsumerRecord] = []
        while any(consumer.position(p) < ends[p] for p in partitions):
            for batch in consumer.poll(timeout_ms=200).values():
                found.extend(batch)
        return found
    finally:
        consumer.close()


def assert_exactly_once(records: list[ConsumerRecord], expected: set[bytes]) -> None:
    """One record per expected key: none missing, none doubled, nothing else."""
    counts = Counter(record.key for record in records)
    doubled = {key: n for key, n in counts.items() if n > 1}
    missing = expected - counts.keys()
    unexpected = counts.keys() - expected
    assert not (doubled or missing or unexpected), (
        f"{len(records)} records for {len(expected)} keys: {len(doubled)} doubled "
        f"(e.g. {list(doubled.items())[:3]}), {len(missing)} missing, "
        f"{len(unexpected)} unexpected"
    )

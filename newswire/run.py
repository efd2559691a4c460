"""`newswire run`: the whole pipeline on one machine, shown to a person as it happens.

The broker (embedded unless `KAFKA_BOOTSTRAP_SERVERS` is set), ingest and enrich run as they would
in production, ingest and enrich as child processes of this one; this process follows the enriched
and dead-letter topics and prints what arrives.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord

from newswire.broker.embedded import EmbeddedBroker
from newswire.errors import ConfigError
from newswire.kafka.topics import COMPACTED, TopicSpec, ensure_topics
from newswire.lifecycle import ends_with_this_process
from newswire.render import enriched_line, headline, record_line
from newswire.settings import KafkaSettings, TopicSettings
from newswire.status_page import StatusPage, service_figures
from newswire.tail import Ends, open_tail, records
from schemas import EnrichedArticle
from services.ingest import NO_FEED_READ
from services.ingest.feeds import load_feeds
from services.ingest.seeds import seed_files

STATUS_INTERVAL = 15.0
CHILD_STOP_TIMEOUT = 10.0
STATUS_PORT = 8080
RECENT_ARTICLES = 20


class Progress:
    """What this process saw arrive, for the terminal and the status page."""

    def __init__(self, topics: TopicSettings) -> None:
        self._topics = topics
        self._lock = threading.Lock()
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_ARTICLES)
        self._started = time.monotonic()
        self.enriched = 0
        self.dead_letters = 0

    def show(self, record: ConsumerRecord) -> None:
        if record.topic != self._topics.enriched:
            self.dead_letters += 1
            print(f"dead letter: {record_line(record.value, record.headers)}", flush=True)
            return
        self.enriched += 1
        article = EnrichedArticle.model_validate_json(record.value)
        print(f"[{self.enriched}] {enriched_line(article)}", flush=True)
        with self._lock:
            self._recent.appendleft(
                {
                    "title": headline(article),
                    "entities": [entity.name for entity in article.entities[:5]],
                    "topics": [topic.label for topic in article.topics[:3]],
                }
            )

    def recent(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._recent)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def status(self) -> str:
        return (
            f"{self.enriched} articles enriched, {self.dead_letters} dead letters "
            f"in {self.elapsed:.0f} s"
        )


def run_pipeline(
    once: bool, seeds_dir: Path, feeds_file: Path | None, stop: threading.Event
) -> int:
    # Settings and the feed list are checked before the broker's start, which takes a while.
    page_port = status_port()
    ports = service_ports()
    feeds = None if feeds_file is None else _feeds_to_poll(feeds_file)
    with ExitStack() as stack:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            print("starting the embedded Kafka broker…", flush=True)
            bootstrap = stack.enter_context(EmbeddedBroker()).bootstrap_servers
        print(f"broker: {bootstrap}", flush=True)
        kafka = KafkaSettings(bootstrap_servers=bootstrap)
        topics = TopicSettings()
        ensure_topics(kafka, topics, _all_topics(topics))
        seeds = len(seed_files(seeds_dir)) if seeds_dir.is_dir() else 0
        print(f"seeds: {seeds} file(s) in {seeds_dir}", flush=True)
        if feeds is not None:
            print(f"feeds: {feeds}", flush=True)
        consumer = open_tail(kafka, [topics.enriched, topics.dlq], from_beginning=False)
        stack.callback(consumer.close)
        progress = Progress(topics)
        page = stack.enter_context(
            StatusPage("127.0.0.1", page_port, partial(_page_status, bootstrap, ports, progress))
        )
        print(f"status page: {page.url}", flush=True)
        env = _child_environment(bootstrap, feeds_file)
        if once:
            status = _run_once(seeds_dir, ports, env, stop)
            _drain(consumer, progress, stop)
        else:
            status = _run_live(seeds_dir, ports, env, consumer, progress, stop)
        print(f"done: {progress.status()}", flush=True)
        return status


def _feeds_to_poll(feeds_file: Path) -> str:
    """How many feeds of the file will be polled; a broken file raises `ConfigError`."""
    feeds = load_feeds(feeds_file)
    enabled = sum(feed.enabled for feed in feeds)
    return f"{feeds_file} ({enabled} of {len(feeds)} enabled)"


@dataclass(frozen=True)
class Ports:
    """Where the child services serve their endpoints, so the status page can read them."""

    ingest: int
    enrich: int


def _free_port(preferred: int, host: str = "127.0.0.1") -> int:
    """`preferred` when nothing listens there (the documented default), else any free port."""
    for candidate in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free port")


def _port_setting(variable: str, default: str) -> int:
    given = os.environ.get(variable, default)
    if not given.isdigit() or int(given) > 65535:
        raise ConfigError(f"invalid setting {variable}: not a port number, got {given!r}")
    return int(given)


def status_port() -> int:
    """NEWSWIRE_STATUS_PORT; unset, `STATUS_PORT` if it is free; 0, any free port."""
    preferred = 0 if "NEWSWIRE_STATUS_PORT" in os.environ else STATUS_PORT
    return _port_setting("NEWSWIRE_STATUS_PORT", "0") or _free_port(preferred)


def service_ports() -> Ports:
    """The services' documented ports, or free ones where those are taken; with
    NEWSWIRE_METRICS_PORT=N, N for ingest and N + 1 for enrich (0: free ones)."""
    host = os.environ.get("NEWSWIRE_METRICS_HOST", "0.0.0.0")  # noqa: S104 - where they listen
    given = "NEWSWIRE_METRICS_PORT" in os.environ
    base = _port_setting("NEWSWIRE_METRICS_PORT", "0")
    if base == 65535:
        raise ConfigError("invalid setting NEWSWIRE_METRICS_PORT: 65535 leaves enrich no port")
    if base:
        return Ports(ingest=base, enrich=base + 1)
    ingest, enrich = (0, 0) if given else (9101, 9102)
    return Ports(ingest=_free_port(ingest, host), enrich=_free_port(enrich, host))


def _page_status(bootstrap: str, ports: Ports, progress: Progress) -> dict[str, Any]:
    services = {
        "ingest": f"http://127.0.0.1:{ports.ingest}",
        "enrich": f"http://127.0.0.1:{ports.enrich}",
    }
    return {
        "broker": bootstrap,
        "elapsed_seconds": progress.elapsed,
        "figures": service_figures(services),
        "recent": progress.recent(),
    }


def _all_topics(topics: TopicSettings) -> list[TopicSpec]:
    return [
        TopicSpec(topics.raw),
        TopicSpec(topics.enriched),
        TopicSpec(topics.dlq),
        TopicSpec(topics.ingest_state, COMPACTED),
    ]


def _child_environment(bootstrap: str, feeds_file: Path | None) -> dict[str, str]:
    """Children log warnings only, as text: the person watching reads the summaries."""
    env = {"NEWSWIRE_LOG_LEVEL": "WARNING", "NEWSWIRE_LOG_FORMAT": "text", **os.environ}
    env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    if feeds_file is not None:
        env["NEWSWIRE_FEEDS_FILE"] = str(feeds_file.resolve())
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "newswire", *args]


def _run_once(seeds_dir: Path, ports: Ports, env: dict[str, str], stop: threading.Event) -> int:
    """Ingest every source once, then enrich until the raw topic is drained. A pass that could
    read no feed may still have published seeds: they are enriched, and the run ends with
    ingest's status."""
    ingest = ("ingest", "--once", "--seeds", str(seeds_dir), "--metrics-port", str(ports.ingest))
    ingested = _run_child(ingest, env, stop)
    if ingested == NO_FEED_READ:
        print("ingest could read none of the feeds (its log says why)", flush=True)
    elif ingested:
        return _failed("ingest", ingested)
    enrich = ("enrich", "--until-idle", "2", "--metrics-port", str(ports.enrich))
    enriched = _run_child(enrich, env, stop)
    return _failed("enrich", enriched) if enriched else ingested


def _run_child(args: tuple[str, ...], env: dict[str, str], stop: threading.Event) -> int:
    """Runs `newswire <args>` to its end: its exit status, or 130 when stopped."""
    with _child(_command(*args), env) as child:
        while child.poll() is None and not stop.wait(0.2):
            pass
    return 130 if stop.is_set() else int(child.returncode)


def _failed(name: str, status: int) -> int:
    if status != 130:  # a stop the person asked for is no failure to report
        print(f"{name} failed with exit code {status}", flush=True)
    return status


def _drain(consumer: KafkaConsumer, progress: Progress, stop: threading.Event) -> None:
    ends = Ends()  # of the topics as the services left them
    for record in records(consumer, stop):
        if record is not None:
            progress.show(record)
        elif ends.reached(consumer):
            return


def _run_live(
    seeds_dir: Path,
    ports: Ports,
    env: dict[str, str],
    consumer: KafkaConsumer,
    progress: Progress,
    stop: threading.Event,
) -> int:
    """Ingest and enrich side by side until Ctrl-C, with a status line now and then."""
    with (
        _child(
            _command("ingest", "--seeds", str(seeds_dir), "--metrics-port", str(ports.ingest)), env
        ) as ingest,
        _child(_command("enrich", "--metrics-port", str(ports.enrich)), env) as enrich,
    ):
        next_status = time.monotonic() + STATUS_INTERVAL
        for record in records(consumer, stop):
            if record is not None:
                progress.show(record)
            if time.monotonic() >= next_status:
                print(f"status: {progress.status()}", flush=True)
                next_status += STATUS_INTERVAL
            for name, child in (("ingest", ingest), ("enrich", enrich)):
                if child.poll() is not None:
                    print(f"{name} stopped with exit code {child.returncode}", flush=True)
                    return child.returncode or 1
    return 0


@contextmanager
def _child(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A child process that is asked to stop (then killed) however the block is left, and that
    is sent SIGTERM if this process is killed outright. A closed terminal's SIGHUP is this
    process's to act on (it stops its children cleanly), not theirs."""
    setup = ends_with_this_process(ignored=[signal.SIGHUP])
    child = subprocess.Popen(command, env=env, preexec_fn=setup)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(CHILD_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

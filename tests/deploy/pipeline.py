"""Real `newswire` processes on the test broker, fed with healthy and poisonous input.

The poison makes the error series exist, so the dashboard's error panels have something to show:
a raw record that is not JSON (dead-lettered by enrich) and a seed larger than the raw topic
accepts (a publish failure in the ingest replica that reads it).
"""

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
from kafka import KafkaProducer

from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from tests.conftest import REPO, free_port, incompressible_text
from tests.endpoints import is_ready
from tests.waiting import wait_for

# Small enough that the oversized seed is refused by the broker, large enough for every real one.
RAW_MAX_MESSAGE_BYTES = 256 * 1024
SEED_TEXT = (REPO / "seeds" / "000_47538fdd1a9e32f6.txt").read_text(encoding="utf-8")
# Ingest looks for new seeds, and enrich reads its lag, every this many seconds.
FAST_INTERVALS = {"NEWSWIRE_SEED_SCAN_INTERVAL": "1", "NEWSWIRE_LAG_INTERVAL": "1"}


def metrics_text(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


class Service:
    """One `python -m newswire` child process; its log goes to a file, never to a full pipe."""

    def __init__(self, command: str, env: dict[str, str], log: Path, *args: str) -> None:
        self.name = log.stem
        self.port = free_port()
        self.log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "newswire",
                    command,
                    "--metrics-port",
                    str(self.port),
                    *args,
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.log_tail()}")
            return is_ready(self.port)

        wait_for(ready, timeout, f"{self.name} to be ready")

    def stop(self) -> int:
        """SIGTERM, then the exit code; a service that ignores it is killed and fails the test."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"{self.name} ignored SIGTERM:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def prepare_topics(kafka: KafkaSettings, topics: TopicSettings) -> None:
    """Creates the raw topic before the services do, with a record size limit the poison exceeds."""
    limit = {"max.message.bytes": str(RAW_MAX_MESSAGE_BYTES)}
    ensure_topics(kafka, topics, [TopicSpec(topics.raw, limit)])


def send_undecodable_record(kafka: KafkaSettings, topic: str) -> None:
    producer = KafkaProducer(**kafka.client_config())
    try:
        producer.send(topic, key=b"poison", value=b"\xffthis is not JSON").get(timeout=30)
    finally:
        producer.close()


def write_oversized_seed(directory: Path) -> None:
    directory.mkdir()
    body = incompressible_text(4 * RAW_MAX_MESSAGE_BYTES)  # compressed, still far too long
    (directory / "oversized.txt").write_text(f"Oversized story\n{body}", encoding="utf-8")


@contextmanager
def seed_stream(directory: Path, every: float = 1.0) -> Iterator[None]:
    """A new seed every `every` seconds while inside, so rates and quantiles have fresh data."""
    directory.mkdir(exist_ok=True)
    stop = threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            title, _, body = SEED_TEXT.partition("\n")
            text = f"{title} (update {number})\n{body}"
            (directory / f"stream-{number:04d}.txt").write_text(text, encoding="utf-8")
            stop.wait(every)

    thread = threading.Thread(target=write, name="seed-stream", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Loopback wire</title><link>http://example.org/</link><description>test feed</description>
<item><title>Harbour reopens after storm</title><link>http://example.org/harbour</link>
<guid>harbour-1</guid><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate>
<description>The harbour of Genoa reopened on Monday after a storm closed it.</description></item>
</channel></rss>
"""


class _FeedHandler(BaseHTTPRequestHandler):
    body: ClassVar[bytes] = RSS

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output for the test."""


@contextmanager
def feeds_file(path: Path) -> Iterator[Path]:
    """A feeds file with one feed served on loopback and one whose server is not there."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    thread = threading.Thread(target=server.serve_forever, name="feed-server", daemon=True)
    thread.start()
    good = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    gone = f"http://127.0.0.1:{free_port()}/feed.xml"
    path.write_text(
        "feeds:\n"
        f"  - {{url: '{good}', name: loopback-wire, interval: 60}}\n"
        f"  - {{url: '{gone}', name: gone-away, interval: 60}}\n",
        encoding="utf-8",
    )
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()

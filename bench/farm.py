"""A loopback feed farm for the feed benchmark: many RSS feeds on many loopback addresses.

`Farm(feeds, items, hosts)` serves `http://127.0.1.<h>:<port>/feeds/<n>.xml`, feed n on host
n % hosts, so ingest's per-host limit sees a farm of sites, not one server. Each feed is RSS 2.0
with `items` items (title, link, GUID, date, an 80-word description), rendered once, with an
ETag and a Last-Modified, and a 304 without a body to a conditional GET that matches, as real
servers do. One asyncio loop in a thread serves every address (HTTP/1.1, keep-alive) and counts
responses by status with the time of the first and the last, so a poll rate can be read off it.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from xml.sax.saxutils import escape

from bench.corpus import EPOCH, drafts

HOST_PREFIX = "127.0.1."
CONTENT_TYPE = "application/rss+xml; charset=utf-8"
LAST_MODIFIED = format_datetime(EPOCH, usegmt=True)
DESCRIPTION_WORDS = 80


@dataclass
class Served:
    count: int = 0
    first: float = 0.0
    last: float = 0.0

    def add(self, now: float) -> None:
        self.first = self.first or now
        self.last = now
        self.count += 1


@dataclass
class Farm:
    feeds: int
    items: int
    hosts: int = 64
    port: int = 0
    served: dict[int, Served] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._bodies: list[bytes] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def urls(self) -> list[str]:
        return [self.url(number) for number in range(self.feeds)]

    def url(self, number: int) -> str:
        return f"http://{HOST_PREFIX}{number % self.hosts + 1}:{self.port}/feeds/{number}.xml"

    def body(self, number: int) -> bytes:
        return self._bodies[number]

    def etag(self, number: int) -> str:
        return '"' + hashlib.sha256(self._bodies[number]).hexdigest()[:16] + '"'

    def start(self) -> None:
        self._bodies = [self.render(number) for number in range(self.feeds)]
        self.port = _free_port()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("the feed farm did not start")

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def reset_counts(self) -> None:
        self.served = {}

    def render(self, number: int) -> bytes:
        """Feed `number`'s body, the same in every process."""
        words = (DESCRIPTION_WORDS + 20) * self.items
        texts = drafts(max(1, words // 500), "prose", seed=1000 + number)
        pool = " ".join(str(text["body"]) for text in texts).split()
        rng = random.Random(number)
        items = []
        for item in range(self.items):
            start = rng.randrange(max(1, len(pool) - DESCRIPTION_WORDS))
            description = " ".join(pool[start : start + DESCRIPTION_WORDS])
            link = f"https://site-{number}.farm.example/news/{item}"
            items.append(
                f"<item><title>{escape(' '.join(pool[start : start + 9]))}</title>"
                f"<link>{link}</link><guid>{link}</guid>"
                f"<pubDate>{format_datetime(EPOCH, usegmt=True)}</pubDate>"
                f"<description>{escape(description)}</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>Farm feed {number}</title><link>https://site-{number}.farm.example/</link>"
            f"<description>Feed {number} of the farm</description><language>en</language>"
            + "".join(items)
            + "</channel></rss>\n"
        ).encode()

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        hosts = [f"{HOST_PREFIX}{host + 1}" for host in range(self.hosts)]
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, hosts, self.port, backlog=1024)
        )
        ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                writer.write(self._response(path, headers))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def _response(self, path: str, headers: dict[str, str]) -> bytes:
        name = path.rsplit("/", 1)[-1].removesuffix(".xml")
        if not (path.startswith("/feeds/") and name.isdigit() and int(name) < self.feeds):
            return self._count(404, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        number = int(name)
        etag = self.etag(number)
        common = f"ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\nCache-Control: max-age=0\r\n"
        if headers.get("if-none-match") == etag:
            return self._count(304, f"HTTP/1.1 304 Not Modified\r\n{common}\r\n".encode())
        body = self._bodies[number]
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: {CONTENT_TYPE}\r\n"
            f"{common}Content-Length: {len(body)}\r\n\r\n"
        )
        return self._count(200, head.encode() + body)

    def _count(self, status: int, response: bytes) -> bytes:
        self.served.setdefault(status, Served()).add(time.monotonic())
        return response


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((f"{HOST_PREFIX}1", 0))
        port: int = sock.getsockname()[1]
        return port

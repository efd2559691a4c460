"""A feed farm for end-to-end tests: feeds on 127.0.0.1 whose items a test changes as it runs.

Every feed answers with an ETag and a Last-Modified, and with 304 to a conditional GET that
matches, as real servers do; each request is recorded with its headers. Also: starting
`newswire ingest` as a child process on the test's broker and topics, and reading back what it
published.
"""

import hashlib
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape

from newswire.errors import ConfigError
from newswire.settings import KafkaSettings
from schemas import RawArticle
from services.ingest.identity import canonical_url, id_from_url
from tests.conftest import read_topic
from tests.services.ingest.test_fetch import FeedServer, Reply, Seen

EPOCH = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FORMATS = ("rss", "atom", "json")
CONTENT_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


@dataclass(frozen=True)
class Item:
    key: str  # unique in the farm: the GUID, and the last part of the link
    title: str
    body: str = "Some text."
    dated: bool = True  # False: the item gives no date (ingest infers one)
    published: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def link(self, host: str) -> str:
        return f"http://{host}/articles/{self.key}"


@dataclass
class Feed:
    format: str
    items: list[Item] = field(default_factory=list)
    changed: datetime = EPOCH
    delay: float = 0.0  # seconds before each answer

    def render(self, path: str, host: str) -> bytes:
        return RENDERERS[self.format](path, host, self.items)


class FeedFarm:
    """Feeds at `/feeds/<name>`: `farm.feeds[name].items` is what the next request gets."""

    def __init__(self, server: FeedServer, host: str = "127.0.0.1") -> None:
        self.server = server
        self.host = f"{host}:{server.port}"
        self.feeds: dict[str, Feed] = {}
        self.lock = threading.Lock()

    def url(self, name: str) -> str:
        return f"http://{self.host}/feeds/{name}"

    def add(self, name: str, format: str, items: list[Item], delay: float = 0.0) -> str:
        with self.lock:
            self.feeds[name] = Feed(format, list(items), delay=delay)
        self.server.routes[f"/feeds/{name}"] = lambda seen: self._reply(name, seen)
        return self.url(name)

    def update(self, name: str, change: Callable[[list[Item]], list[Item]]) -> None:
        with self.lock:
            feed = self.feeds[name]
            feed.items = change(feed.items)
            feed.changed += timedelta(minutes=1)

    def requests(self, name: str) -> list[Seen]:
        return [seen for seen in self.server.requests if seen.path == f"/feeds/{name}"]

    def _reply(self, name: str, seen: Seen) -> Reply:
        with self.lock:
            feed = self.feeds[name]
            body = feed.render(f"/feeds/{name}", self.host)
            changed = feed.changed
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        headers = {"ETag": etag, "Last-Modified": format_datetime(changed, usegmt=True)}
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, b"", headers, delay=feed.delay)
        content_type = {"Content-Type": CONTENT_TYPES[feed.format]}
        return Reply(200, body, {**headers, **content_type}, delay=feed.delay)


def article_id(farm: FeedFarm, item: Item) -> str:
    """The id ingest gives the article of `item`."""
    return id_from_url(canonical_url(item.link(farm.host)))


class Growth:
    """Adds `added` items to the farm's feeds, round-robin, one every `step` seconds, from a
    background thread; `keys` are those of every item, the `first_items` of each feed included."""

    def __init__(
        self, farm: FeedFarm, names: list[str], first_items: int, added: int, step: float
    ) -> None:
        self._farm = farm
        self._names = names
        self._first_items = first_items
        self._added = added
        self._step = step
        self.keys = [f"{name}-{n}" for name in names for n in range(first_items)]
        self._thread = threading.Thread(target=self._grow, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def _grow(self) -> None:
        for n in range(self._added):
            name = self._names[n % len(self._names)]
            key = f"{name}-{self._first_items + n // len(self._names)}"
            self._farm.update(name, partial(prepend, Item(key, f"Story {key}")))
            self.keys.append(key)
            time.sleep(self._step)


def prepend(item: Item, items: list[Item]) -> list[Item]:
    """`items` with `item` on top, as a feed shows its newest item."""
    return [item, *items]


def _rss(path: str, host: str, items: list[Item]) -> bytes:
    entries = "".join(
        f"<item><guid>{item.key}</guid><title>{escape(item.title)}</title>"
        f"<link>{item.link(host)}</link><description>{escape(item.body)}</description>"
        + (f"<pubDate>{format_datetime(item.published)}</pubDate>" if item.dated else "")
        + "</item>"
        for item in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{path}</title>'
        f"<link>http://{host}/</link>{entries}</channel></rss>"
    ).encode()


def _atom(path: str, host: str, items: list[Item]) -> bytes:
    entries = "".join(
        f"<entry><id>urn:x:{item.key}</id><title>{escape(item.title)}</title>"
        f'<link href="{item.link(host)}"/><content type="text">{escape(item.body)}</content>'
        + (f"<updated>{item.published.isoformat()}</updated>" if item.dated else "")
        + "</entry>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{path}</title><id>urn:x:{path}</id><updated>{EPOCH.isoformat()}</updated>"
        f'<link href="http://{host}/"/>{entries}</feed>'
    ).encode()


def _json_feed(path: str, host: str, items: list[Item]) -> bytes:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": path,
        "home_page_url": f"http://{host}/",
        "items": [
            {
                "id": item.key,
                "url": item.link(host),
                "title": item.title,
                "content_text": item.body,
                **({"date_published": item.published.isoformat()} if item.dated else {}),
            }
            for item in items
        ],
    }
    return json.dumps(document).encode()


RENDERERS: dict[str, Callable[[str, str, list[Item]], bytes]] = {
    "rss": _rss,
    "atom": _atom,
    "json": _json_feed,
}


def write_yaml(path: Path, urls: dict[str, str], **extra: object) -> Path:
    """A YAML feeds file: `urls` maps feed names to URLs; `extra` goes into every entry."""
    entries = [{"url": url, "name": name, **extra} for name, url in urls.items()]
    path.write_text(json.dumps({"feeds": entries}))  # JSON is YAML
    return path


def ingest_env(service_env: dict[str, str], **settings: str) -> dict[str, str]:
    """The child's environment: the test's broker and topics, private addresses allowed, and
    short timeouts, so that hostile feeds cost the test seconds, not minutes."""
    return {
        **service_env,
        "NEWSWIRE_ALLOW_PRIVATE_ADDRESSES": "1",
        "NEWSWIRE_FETCH_CONNECT_TIMEOUT": "1",
        "NEWSWIRE_FETCH_READ_TIMEOUT": "1.5",
        "NEWSWIRE_FETCH_DEADLINE": "2",
        "NEWSWIRE_SEEDS_DIR": "/nonexistent",
        "NEWSWIRE_LOG_LEVEL": "INFO",
        **settings,
    }


def ingest_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "newswire", "ingest", *args]


def run_once(feeds_file: Path, env: dict[str, str]) -> tuple[int, list[dict[str, object]]]:
    """`newswire ingest --feeds FILE --once`: its exit code and its JSON log lines."""
    result = subprocess.run(
        ingest_command("--feeds", str(feeds_file), "--once"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, json_lines(result.stderr)


def json_lines(text: str) -> list[dict[str, object]]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return lines


def summary(logs: list[dict[str, object]]) -> dict[str, object]:
    """The counts of the `ingest pass done` line."""
    (done,) = [line for line in logs if line.get("message") == "ingest pass done"]
    return done


def published(kafka: KafkaSettings, topic: str) -> list[RawArticle]:
    """Every committed article of the raw topic, in offset order per partition."""
    return [RawArticle.model_validate_json(record.value) for record in read_topic(kafka, topic)]


def published_count(kafka: KafkaSettings, topic: str) -> int:
    """How many articles the raw topic holds; 0 before the service created it."""
    try:
        return len(published(kafka, topic))
    except ConfigError:
        return 0


def id_counts(articles: list[RawArticle]) -> Counter[str]:
    return Counter(article.id for article in articles)

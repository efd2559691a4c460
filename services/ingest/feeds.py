"""The feed list: a YAML file a person edits, or OPML exported from a feed reader.

YAML (`.yaml`, `.yml`) holds `feeds:`, a list of entries with `url` and optional `name`,
`interval` (seconds), `enabled` and `headers`, and may hold `x-` keys for what entries merge.
OPML (`.opml`, or `.xml` as some readers name their exports) holds nested `<outline>` elements;
each with an `xmlUrl` is a feed, named by its `title` (or `text`). A feed's name is a metric
label, so names are unique within a file, printable and at most `MAX_NAME_CHARS` long; without
one, a feed is named after its host and path.

A file that cannot be used raises `ConfigError` naming the file and the problem; when the
problems are in its entries, every entry at fault and each of its faults, so that a long list is
fixed in one go. OPML is parsed with defusedxml: entity declarations and external references are
refused, never expanded.
"""

import os
import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit
from xml.etree.ElementTree import Element, ParseError

import httpx
import pydantic
import yaml

# defusedxml ships no type hints; the two names used here are checked by the OPML tests.
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newswire.errors import ConfigError, FeedConfigError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NAME_CHARS = 200
MAX_PROBLEMS_SHOWN = 20
_YAML_SUFFIXES = (".yaml", ".yml")
_OPML_SUFFIXES = (".opml", ".xml")

# Headers the fetcher owns: the connection, the body's coding and the conditional GET.
_RESERVED_HEADERS = frozenset(
    {"host", "connection", "content-length", "transfer-encoding", "accept-encoding",
     "if-none-match", "if-modified-since", "te", "upgrade"}
)  # fmt: skip
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
# `${NAME}` in a header's value stands for the environment variable NAME of the replica that
# polls: the feed list travels through Kafka (the feed-list topic), where a secret should not.
# Only variables named for the purpose: whoever writes the feed list chooses where a header
# goes, and must not be able to send a replica's Kafka password there.
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_VARIABLE_PREFIX = "NEWSWIRE_FEED_"
_SECRET_PARAMETER = re.compile(r"key|token|secret|pass|auth|sig|session", re.IGNORECASE)


class FeedConfig(BaseModel):
    """One feed to poll; `newswire.ingest.feed/1` in the feed-list topic (catalog.py)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    SCHEMA: ClassVar[str] = "newswire.ingest.feed/1"

    url: str
    name: str = Field(
        min_length=1, max_length=MAX_NAME_CHARS, description="Unique in its file; a metric label."
    )
    interval: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Seconds between polls; none means the service default.",
    )
    enabled: bool = True
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Sent with every request; `${NEWSWIRE_FEED_…}` in a value is that environment "
        "variable of the replica that polls.",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and not str(data.get("name") or "").strip():
            return {**data, "name": derived_name(str(data.get("url") or ""))}
        return data

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.isprintable():
            raise ValueError("holds a control character")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if any(char.isspace() for char in parts.netloc):
            raise ValueError("has a space in its host")
        _ = parts.port  # raises on a port that is not a number in range
        if parts.username is not None or parts.password is not None:
            # The URL is the feed's key in Kafka and appears in logs, where a secret should not.
            raise ValueError(
                "holds credentials; send them in `headers` (Authorization) from a "
                f"${{{_VARIABLE_PREFIX}…}} variable"
            )
        try:
            httpx.URL(url)  # the fetcher's reading: "0177.0.0.1" is no IPv4 address to it
        except httpx.InvalidURL as exc:
            raise ValueError(str(exc)) from exc
        return url

    @field_validator("name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        if not name.isprintable():
            raise ValueError("holds a control or invisible formatting character")
        return name

    @field_validator("interval", mode="before")
    @classmethod
    def _not_a_flag(cls, interval: object) -> object:
        if isinstance(interval, bool):  # a number to Python, and a slip of the pen in a file
            raise ValueError("must be a number of seconds")
        return interval

    @field_validator("headers")
    @classmethod
    def _plain_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not name or not set(name) <= _TOKEN_CHARS:
                raise ValueError(f"{name!r} is not a valid header name")
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"{name} is set by the fetcher and cannot be configured")
            if not _sendable(value):
                raise ValueError(f"the value of {name} is not printable ASCII")
        return headers

    def request_headers(self, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
        """The headers to send, each `${NAME}` replaced by that variable of `environ`; a
        `FeedConfigError` names a variable that is not set, or whose value would break the
        request."""
        return {name: self._resolved(name, value, environ) for name, value in self.headers.items()}

    def _resolved(self, header: str, value: str, environ: Mapping[str, str]) -> str:
        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if not name.startswith(_VARIABLE_PREFIX):
                detail = f"{header}: only {_VARIABLE_PREFIX}* variables may be used, not {name}"
                raise FeedConfigError(self.url, detail)
            if name not in environ:
                raise FeedConfigError(self.url, f"{header}: environment variable {name} is not set")
            if not _sendable(environ[name]):
                raise FeedConfigError(self.url, f"{header}: {name} is not printable ASCII")
            return environ[name]

        return _VARIABLE.sub(variable, value)


def _sendable(value: str) -> bool:
    """Whether a header value goes on the wire as it is: HTTP/1.1 headers are ASCII here, and a
    line break or NUL would end the header."""
    return value.isascii() and value.isprintable()


def derived_name(url: str) -> str:
    """A readable name from host and path, e.g. `example.com/news/rss`; a URL that cannot be
    read is its own name (its entry's validation says what is wrong with it)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url[:MAX_NAME_CHARS]
    host = (parts.hostname or "").removeprefix("www.")
    query = f"?{_masked_query(parts.query)}" if parts.query else ""
    return f"{host}{port}{parts.path.rstrip('/')}{query}"


def _masked_query(query: str) -> str:
    """`query` with the values of parameters named as secrets (`api_key`, `token`, ...) made
    `…`: a name is a metric label, served on /metrics and shown on dashboards."""
    pairs = (pair.partition("=") for pair in query.split("&"))
    return "&".join(
        f"{name}={'…' if _SECRET_PARAMETER.search(name) else value}" if equals else name
        for name, equals, value in pairs
    )


def load_feeds(path: Path) -> list[FeedConfig]:
    """Every feed of a YAML or OPML file, disabled ones included, in file order."""
    data = _read(path)
    suffix = path.suffix.lower()
    problems = _Problems()
    if suffix in _YAML_SUFFIXES:
        feeds = _yaml_feeds(path, data, problems)
    elif suffix in _OPML_SUFFIXES:
        feeds = _opml_feeds(path, data, problems)
    else:
        raise ConfigError(f"{path}: unknown feeds file type; use .yaml, .yml, .opml or .xml")
    _check_unique(feeds, problems)
    problems.raise_any(path)
    return feeds


class _Problems:
    """What is wrong with a file's entries, all of it: a file of 500 feeds with three bad ones
    is fixed in one edit, not in three rounds of reload and read the log."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def feed(self, where: str, entry: object) -> FeedConfig | None:
        """The entry's feed, or None with what is wrong with it noted."""
        if not isinstance(entry, dict):
            self.found.append(f"{where}: expected a mapping with at least `url`")
            return None
        try:
            return FeedConfig.model_validate(entry)
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(part) for part in error["loc"]) or "entry"
                self.found.append(f"{where}: {field}: {error['msg']}")
            return None

    def raise_any(self, path: Path) -> None:
        if len(self.found) == 1:
            raise ConfigError(f"{path}: {self.found[0]}")
        if self.found:
            shown = self.found[:MAX_PROBLEMS_SHOWN]
            if more := len(self.found) - len(shown):
                shown.append(f"and {more} more")
            raise ConfigError(f"{path}: {len(self.found)} problems:\n  " + "\n  ".join(shown))


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _yaml_feeds(path: Path, data: bytes, problems: _Problems) -> list[FeedConfig]:
    loader = _FeedsLoader(data)
    try:
        root = loader.get_single_node()
        document = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from exc
    finally:
        loader.dispose()
    # Other top-level keys are refused (`feed:` is a typo, not a second list), but for `x-`
    # ones, which hold what entries merge (`x-defaults: &defaults {...}`), as in Compose files.
    extra = [key for key in document if key != "feeds"] if isinstance(document, dict) else []
    if not isinstance(document, dict) or "feeds" not in document or not _extensions(extra):
        raise ConfigError(
            f"{path}: expected a mapping with one key, `feeds:`, holding a list "
            "(and `x-` keys for anchors)"
        )
    entries = document["feeds"] or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: `feeds:` must be a list of entries")
    lines = _entry_lines(root, len(entries))
    feeds = (
        problems.feed(f"feeds[{index}]" + (f" (line {line})" if line else ""), entry)
        for index, (entry, line) in enumerate(zip(entries, lines, strict=True))
    )
    return [feed for feed in feeds if feed is not None]


def _extensions(keys: list[object]) -> bool:
    return all(isinstance(key, str) and key.startswith("x-") for key in keys)


class _FeedsLoader(yaml.CSafeLoader):
    """libyaml's safe loader (a 10,000-feed list in 0.55 s instead of 2.1) that refuses a key
    given twice in one mapping, where PyYAML keeps the last silently: of two `url:`s in one
    entry, one feed would vanish without a word. Keys brought in by a merge (`<<: *defaults`)
    may be given again: that is how an entry overrides them."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key_node.value!r} is given twice", key_node.start_mark
                )
            seen.add(key_node.value)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping


def _entry_lines(root: yaml.Node | None, count: int) -> list[int | None]:
    """The line each of the `count` entries of `feeds:` starts on, where the document gives the
    list plainly (not through a merge, say)."""
    for key, value in root.value if isinstance(root, yaml.MappingNode) else ():
        plain = key.value == "feeds" and isinstance(value, yaml.SequenceNode)
        if plain and len(value.value) == count:
            return [entry.start_mark.line + 1 for entry in value.value]
    return [None] * count


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def _opml_feeds(path: Path, data: bytes, problems: _Problems) -> list[FeedConfig]:
    try:
        root = fromstring(data)
    except DefusedXmlException as exc:
        raise ConfigError(f"{path}: OPML with DTD entities or external references: {exc}") from exc
    except ParseError as exc:
        raise ConfigError(f"{path}: not well-formed XML: {exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError(f"{path}: not OPML: expected <opml> with a <body>")
    feeds: list[FeedConfig] = []
    urls: set[str] = set()
    names: set[str] = set()
    for outline in body.iter("outline"):
        url = _attribute(outline, "xmlurl").strip()
        if not url or url in urls:
            continue  # a folder, or the same feed filed under two folders
        title = " ".join((_attribute(outline, "title") or _attribute(outline, "text")).split())
        name = _unused_name(title, url, names)
        feed = problems.feed(f"outline {name!r}", {"url": url, "name": name})
        if feed is not None:
            feeds.append(feed)
            urls.add(url)
            names.add(feed.name)
    return feeds


def _unused_name(title: str, url: str, names: set[str]) -> str:
    """A name for a feed an exporter listed: its title, else its host and path, followed by its
    host and path, then its URL, when another feed took that (one site's feeds share a title,
    and http and https, with and without www, share a host and path)."""
    derived = derived_name(url)
    shown = _shown_url(url)
    base = title or derived
    candidates = [base, f"{base} ({derived})", f"{base} ({shown})"] if title else [base, shown]
    unused = (name for name in candidates if name not in names)
    # The last: an OPML file that holds each feed once holds its URL once.
    return next(unused, candidates[-1])[:MAX_NAME_CHARS]


def _shown_url(url: str) -> str:
    """`url` with its secret query values masked; as it is when it cannot be read."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(parts._replace(query=_masked_query(parts.query)))


def _attribute(element: Element, lowered_name: str) -> str:
    """An attribute by case-insensitive name: exporters disagree on `xmlUrl` versus `xmlurl`."""
    for name, value in element.attrib.items():
        if name.lower() == lowered_name:
            return value
    return ""


def _check_unique(feeds: list[FeedConfig], problems: _Problems) -> None:
    names: dict[str, str] = {}
    urls: dict[str, str] = {}
    for feed in feeds:
        if feed.url in urls:
            problems.found.append(f"{feed.url} is listed twice ({urls[feed.url]!r})")
        elif feed.name in names:
            problems.found.append(
                f"two feeds named {feed.name!r} ({names[feed.name]} and {feed.url}); "
                "names are metric labels and must be unique"
            )
        names.setdefault(feed.name, feed.url)
        urls.setdefault(feed.url, feed.name)

"""Reads `seeds/`: article files a person drops in a folder.

A `.txt` seed is a title line followed by the body. A `.json` seed holds one article object (or a
list of them), a `.jsonl` seed one object per line, with the fields of `ArticleDraft`. A seed that
cannot be read yields a `SeedError` naming the file (and line) and the reason; the others go on.

Seeds keep no state in Kafka: each run of the service publishes every seed file once, and then
the files that are new or changed while it runs.
"""

import codecs
import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pydantic

from newswire.errors import SeedError
from schemas import RawArticle, Source, SourceKind
from services.ingest import metrics
from services.ingest.fit import ArticleTooLargeError, fitted_article
from services.ingest.identity import canonical_url
from services.ingest.normalize import ArticleDraft

log = logging.getLogger(__name__)

SEED_SUFFIXES = (".txt", ".json", ".jsonl")
MAX_SEED_BYTES = 15 * 1024 * 1024

SeedResult = ArticleDraft | SeedError


class SeedScanner:
    """Finds the seed files that are new or changed since they were last published."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._published: dict[Path, tuple[int, int]] = {}
        self._scanned: dict[Path, tuple[int, int]] = {}
        self._missing = False

    def changed(self) -> list[Path]:
        """New or changed files; they count as changed until `published` is called for them."""
        if not self._directory.is_dir():
            if not self._missing:  # said once, not at every scan
                log.warning("seeds directory missing", extra={"path": str(self._directory)})
            self._missing = True
            return []
        self._missing = False
        self._scanned = {}
        for path in seed_files(self._directory):
            stat = path.stat()
            fingerprint = (stat.st_mtime_ns, stat.st_size)
            if self._published.get(path) != fingerprint:
                self._scanned[path] = fingerprint
        return list(self._scanned)

    def published(self) -> None:
        """The files of the last `changed()` are in Kafka, as they were when scanned."""
        self._published.update(self._scanned)
        self._scanned = {}


def seed_articles(paths: list[Path], fetched_at: datetime) -> list[RawArticle]:
    """Every readable article of `paths`, cut to fit a record if need be; the rest are logged and
    counted."""
    articles = []
    for path in paths:
        source = Source(kind=SourceKind.SEED, path=path.name)
        for result in read_seed(path):
            if isinstance(result, SeedError):
                _skipped(result)
                continue
            try:
                articles.append(fitted_article(result, source, fetched_at))
            except ArticleTooLargeError as exc:
                _skipped(SeedError(str(path), exc.reason, str(exc)))
    return articles


def _skipped(error: SeedError) -> None:
    metrics.SOURCE_ERRORS.labels("seed", error.reason).inc()
    log.warning(
        "seed skipped", extra={"seed": error.path, "reason": error.reason, "detail": error.detail}
    )


def seed_files(directory: Path) -> list[Path]:
    """The seed files of `directory`, in name order so runs are repeatable."""
    return sorted(
        path for path in directory.iterdir() if path.is_file() and path.suffix in SEED_SUFFIXES
    )


def read_seed(path: Path) -> Iterator[SeedResult]:
    """Every article of one seed file, or the errors that kept them out."""
    try:
        data = read_bytes(path)
        if path.suffix == ".jsonl":
            yield from json_lines(str(path), data)
            return
        text = decode_text(str(path), data)
    except SeedError as error:
        yield error
        return
    if path.suffix == ".txt":
        yield _draft_or_error(str(path), lambda: parse_text(text))
    else:
        yield from json_document(str(path), text)


def json_lines(name: str, data: bytes) -> Iterator[SeedResult]:
    """The article of each JSON line of `data`, or the error that kept it out: a line that is no
    UTF-8 is an error of its own, not of every line. Lines end at "\n" or "\r" only: inside a
    JSON string, U+2028 and its kind are text, where `str.splitlines` would cut. What is wrong
    with the whole of `data` (binary, or not one line) is raised as a `SeedError`."""
    _refuse_binary(name, data)
    found = False
    for number, raw in enumerate(data.removeprefix(codecs.BOM_UTF8).splitlines(), start=1):
        if raw.strip():
            found = True
            yield json_line_draft(f"{name}:{number}", raw)
    if not found:
        raise SeedError(name, "empty", "no text")


def json_line_draft(where: str, raw: bytes) -> SeedResult:
    """The article of one JSON line, or the `SeedError` that says, for `where`, why not: a line
    that is no UTF-8 is an error of its own."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SeedError(where, "not_utf8", f"invalid byte at offset {exc.start}")
    return _draft_or_error(where, partial(ArticleDraft.model_validate_json, line))


def parse_text(text: str) -> ArticleDraft:
    """A plain-text article: the first non-blank line is the title, the rest is the body."""
    title, _, body = text.strip().partition("\n")
    return ArticleDraft(title=title, body=body.strip())


def read_bytes(path: Path) -> bytes:
    """The bytes of a seed file, or a `SeedError` saying why they cannot be had."""
    name = str(path)
    try:
        if path.stat().st_size > MAX_SEED_BYTES:
            raise SeedError(name, "too_large", f"larger than {MAX_SEED_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise SeedError(name, "unreadable", exc.strerror or str(exc)) from exc


def decode_text(name: str, data: bytes) -> str:
    """`data` as text, if it is UTF-8 text (a byte-order mark is dropped), or a `SeedError`
    saying, for `name`, why it is not."""
    _refuse_binary(name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeedError(name, "not_utf8", f"invalid byte at offset {exc.start}") from exc
    if not text.strip():
        raise SeedError(name, "empty", "no text")
    return text


def _refuse_binary(name: str, data: bytes) -> None:
    if b"\x00" in data:
        raise SeedError(name, "binary", "contains NUL bytes")


TOO_DEEP = "nested deeper than Python reads"


def json_document(name: str, text: str) -> Iterator[SeedResult]:
    """The articles of a JSON document: one article, or a list of them."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        yield SeedError(name, "invalid_json", f"{exc.msg} at line {exc.lineno}")
        return
    except RecursionError:
        yield SeedError(name, "invalid_json", TOO_DEEP)
        return
    yield from document_drafts(name, document)


def document_drafts(name: str, document: object) -> Iterator[SeedResult]:
    """The articles of a parsed JSON document: one article, or a list of them."""
    items = document if isinstance(document, list) else [document]
    if not items:
        yield SeedError(name, "empty", "an empty list")
    for index, item in enumerate(items):
        where = name if len(items) == 1 else f"{name}[{index}]"
        yield _draft_or_error(where, partial(ArticleDraft.model_validate, item))


def _check_link(url: str) -> None:
    """ValueError unless `url` is an absolute http(s) URL that can be canonical, as a feed item's
    link must be: readers follow it (a `javascript:` link on a page of records would run)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url[:100]!r}")
    canonical_url(url)


def _draft_or_error(where: str, parse: Callable[[], ArticleDraft]) -> SeedResult:
    try:
        draft = parse()
        if draft.url:  # a link that is no URL is this seed's error here, not one when published
            _check_link(draft.url)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            return SeedError(where, "invalid_json", first["msg"])
        field = ".".join(str(part) for part in first["loc"]) or "record"
        return SeedError(where, "invalid_record", f"{field}: {first['msg']}")
    except ValueError as exc:
        return SeedError(where, "invalid_url", f"url: {exc}")
    return draft

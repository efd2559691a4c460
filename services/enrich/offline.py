"""`newswire tag`: enrichment without Kafka, for files or a pipe.

Input is JSON lines (each at least `title` and `body`; the rest is filled in as ingest would), a
JSON document (one article, or a list of them) or a plain-text article per file (title line,
then body). Output is one enriched JSON line per article, in input order. A line that is not an
article, or an input that is no UTF-8 text, is reported on stderr and the others go on. JSON
lines on a pipe are tagged as they arrive, in batches of what has arrived.
"""

import codecs
import json
import sys
import threading
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from queue import Empty, Queue
from typing import BinaryIO, TextIO

from newswire.errors import SeedError
from schemas import RawArticle, Source, SourceKind, utc_now
from services.enrich.tag import Tagger
from services.ingest.normalize import build_article
from services.ingest.seeds import (
    TOO_DEEP,
    SeedResult,
    decode_text,
    document_drafts,
    json_document,
    json_line_draft,
    json_lines,
    parse_text,
)

_END = b""  # no line of a stream is empty: each holds at least its line break
_NOT_JSON = object()


class InputErrors:
    def __init__(self) -> None:
        self.count = 0

    def report(self, where: str, message: str) -> None:
        self.count += 1
        print(f"newswire tag: {where}: {message}", file=sys.stderr)

    def seed_error(self, error: SeedError) -> None:
        self.report(error.path, f"{error.reason}: {error.detail}")


def articles_from(name: str, data: bytes, errors: InputErrors) -> Iterator[RawArticle]:
    """The articles of one input (`_drafts_of`); nothing but the error if it is no UTF-8 text
    (binary, another encoding, empty)."""
    try:
        drafts = _drafts_of(name, data)
    except SeedError as error:
        errors.seed_error(error)
        return
    yield from _articles(name, drafts, errors)


def _drafts_of(name: str, data: bytes) -> list[SeedResult]:
    """A `.json` file's article or list, as a `.json` seed's; else a JSON document if the input
    is one JSON value, JSON lines if it starts with "{", else one plain-text article."""
    if name.endswith(".json"):
        return list(json_document(name, decode_text(name, data)))
    start = data.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    document = _json_value(name, data) if start in (b"[", b"{") else _NOT_JSON
    if document is not _NOT_JSON:
        return list(document_drafts(name, document))
    if start == b"{":
        return list(json_lines(name, data))
    return [parse_text(decode_text(name, data))]


def stream_articles(
    name: str, stream: BinaryIO, errors: InputErrors
) -> Iterator[RawArticle | None]:
    """The articles of JSON lines as they arrive on `stream`, and None whenever the next line has
    not arrived yet; a stream that does not begin with a JSON line is read whole, as a file."""
    lines = _arrivals(stream)
    first = next((line for line in lines if line is not None), _END)
    if (
        not first.removeprefix(codecs.BOM_UTF8).startswith(b"{")
        or _json_value(name, first) is _NOT_JSON
    ):
        yield from articles_from(name, first + b"".join(line for line in lines if line), errors)
        return
    number = 0
    for line in chain([first.removeprefix(codecs.BOM_UTF8)], lines):
        if line is None:
            yield None
            continue
        number += 1
        if line.strip():
            yield from _articles(name, [json_line_draft(f"{name}:{number}", line)], errors)


def _articles(name: str, drafts: Iterable[SeedResult], errors: InputErrors) -> Iterator[RawArticle]:
    source = Source(kind=SourceKind.SEED, path=name)
    for draft in drafts:
        if isinstance(draft, SeedError):
            errors.seed_error(draft)
        else:
            yield build_article(draft, source, utc_now())


def _json_value(name: str, data: bytes) -> object:
    """The one JSON value UTF-8 `data` holds, else `_NOT_JSON` (JSON lines hold several); a
    `SeedError` for a list nested deeper than Python reads (an object that deep may be a JSON
    line, whose error is its own)."""
    text = data.removeprefix(codecs.BOM_UTF8)
    try:
        return json.loads(text.decode("utf-8"))
    except RecursionError:
        if text.lstrip().startswith(b"{"):
            return _NOT_JSON
        raise SeedError(name, "invalid_json", TOO_DEEP) from None
    except ValueError:  # UnicodeDecodeError too
        return _NOT_JSON


def _arrivals(stream: BinaryIO) -> Iterator[bytes | None]:
    """The lines of `stream`, and None whenever the next one has not arrived yet. A thread reads
    them, so that a pipe that is slow to give its next line does not hold up those before it."""
    arrived: Queue[bytes] = Queue(maxsize=1024)

    def read() -> None:
        for line in stream:
            arrived.put(line)
        arrived.put(_END)

    threading.Thread(target=read, name="tag-stdin", daemon=True).start()
    while True:
        try:
            line = arrived.get_nowait()
        except Empty:
            yield None
            line = arrived.get()
        if line == _END:
            return
        yield line


def tag_inputs(
    inputs: Iterable[tuple[str, Path | BinaryIO]], out: TextIO, batch_size: int = 32
) -> int:
    """Tags every article of `inputs` (files, and streams such as stdin) and writes them to
    `out`; returns the exit status."""
    errors = InputErrors()
    tagger = Tagger(batch_size=batch_size)
    batch: list[RawArticle] = []

    def write_batch() -> None:
        for enriched in tagger.tag(batch):
            out.write(enriched.model_dump_json() + "\n")
        out.flush()
        batch.clear()

    for name, source in inputs:
        for article in _input_articles(name, source, errors):
            if article is not None:
                batch.append(article)
            if len(batch) == batch_size or (article is None and batch):
                write_batch()
    write_batch()
    return 1 if errors.count else 0


def _input_articles(
    name: str, source: Path | BinaryIO, errors: InputErrors
) -> Iterator[RawArticle | None]:
    if not isinstance(source, Path):
        return stream_articles(name, source, errors)
    try:
        data = source.read_bytes()
    except OSError as exc:
        errors.report(name, f"unreadable: {exc.strerror or exc}")
        return iter(())
    return articles_from(name, data, errors)

"""`newswire tag`: enrichment without Kafka, for files or a pipe.

Input is JSON lines (each at least `title` and `body`; the rest is filled in as ingest would) or a
plain-text article per file (title line, then body). Output is one enriched JSON line per article,
in input order. A line that is not an article, or an input that is no UTF-8 text, is reported on
stderr and the others go on.
"""

import codecs
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from newswire.errors import SeedError
from schemas import RawArticle, Source, SourceKind, utc_now
from services.enrich.tag import Tagger
from services.ingest.normalize import build_article
from services.ingest.seeds import decode_text, json_lines, parse_text


class InputErrors:
    def __init__(self) -> None:
        self.count = 0

    def report(self, where: str, message: str) -> None:
        self.count += 1
        print(f"newswire tag: {where}: {message}", file=sys.stderr)

    def seed_error(self, error: SeedError) -> None:
        self.report(error.path, f"{error.reason}: {error.detail}")


def articles_from(name: str, data: bytes, errors: InputErrors) -> Iterator[RawArticle]:
    """The articles of one input: JSON lines if it starts with "{", else one plain-text article;
    nothing but the error if it is no UTF-8 text (binary, another encoding, empty)."""
    source = Source(kind=SourceKind.SEED, path=name)
    try:
        if data.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{"):
            drafts = list(json_lines(name, data))
        else:
            drafts = [parse_text(decode_text(name, data))]
    except SeedError as error:
        errors.seed_error(error)
        return
    for draft in drafts:
        if isinstance(draft, SeedError):
            errors.seed_error(draft)
        else:
            yield build_article(draft, source, utc_now())


def tag_inputs(
    inputs: Iterable[tuple[str, Callable[[], bytes]]], out: TextIO, batch_size: int = 32
) -> int:
    """Tags every article of `inputs` (name, and how to read its bytes) and writes them to `out`;
    returns the exit status."""
    errors = InputErrors()
    tagger = Tagger(batch_size=batch_size)
    batch: list[RawArticle] = []

    def write_batch() -> None:
        for enriched in tagger.tag(batch):
            out.write(enriched.model_dump_json() + "\n")
        out.flush()
        batch.clear()

    for name, read in inputs:
        try:
            data = read()
        except OSError as exc:
            errors.report(name, f"unreadable: {exc.strerror or exc}")
            continue
        for article in articles_from(name, data, errors):
            batch.append(article)
            if len(batch) == batch_size:
                write_batch()
    write_batch()
    return 1 if errors.count else 0

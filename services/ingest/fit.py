"""Articles that fit in a Kafka record: the one place a record's size is checked and its text cut.

The broker refuses records over about 1 MiB by default (`message.max.bytes`), and one refused
record would fail its whole transaction over and over. An article's text is cut to fit: its
summary to `SHORTENED_SUMMARY_CHARS`, then its body, `_CUT_MARGIN` below the limit. One still too
large (a megabyte of title) is an `ArticleTooLargeError`, which the caller skips and counts.
"""

import logging
from dataclasses import replace
from datetime import datetime

from schemas import RawArticle, Source
from services.ingest.identity import content_hash
from services.ingest.normalize import ArticleDraft, ArticleKeys, build_article

log = logging.getLogger(__name__)

MAX_ARTICLE_BYTES = 1_000_000
SHORTENED_SUMMARY_CHARS = 2_000
_CUT_MARGIN = 10_000


class ArticleTooLargeError(ValueError):
    """An article larger than a record even with its text cut."""

    reason = "too_large"


def fitted_article(
    draft: ArticleDraft, source: Source, fetched_at: datetime, keys: ArticleKeys | None = None
) -> RawArticle:
    """`build_article`, with the text cut when the record would be too large. The record's
    content hash is of the text it carries (a feed's window keeps the full text's, so the next
    poll finds the item unchanged)."""
    article = build_article(draft, source, fetched_at, keys)
    size = _record_bytes(article)
    if size > MAX_ARTICLE_BYTES:
        draft = _shortened(draft, size - MAX_ARTICLE_BYTES)
        if keys is not None:
            keys = replace(keys, content_hash=content_hash(draft.title, draft.body))
        article = build_article(draft, source, fetched_at, keys)
        size = _record_bytes(article)
        log.info("article shortened to fit a record", extra={"url": article.url, "bytes": size})
    if size > MAX_ARTICLE_BYTES:
        raise ArticleTooLargeError(f"{article.url or article.title[:80]}: {size} bytes as a record")
    return article


def _record_bytes(article: RawArticle) -> int:
    # The bytes the record's serializer sends (newswire.kafka.serde), without a round trip
    # through text.
    return len(article.__pydantic_serializer__.to_json(article))


def _shortened(draft: ArticleDraft, excess: int) -> ArticleDraft:
    """`draft` with at least `excess` bytes less text (a character is a byte or more): its
    summary cut to `SHORTENED_SUMMARY_CHARS`, then its body cut at a paragraph or a word."""
    summary = draft.summary[:SHORTENED_SUMMARY_CHARS]
    excess -= len(draft.summary) - len(summary)
    body = draft.body
    if excess > 0:
        body = body[: max(0, len(body) - excess - _CUT_MARGIN)]
        cut = body.rfind("\n\n")
        if cut < len(body) // 2:
            cut = body.rfind(" ")
        body = body[:cut] if cut > len(body) // 2 else body
    return draft.model_copy(update={"summary": summary, "body": body})

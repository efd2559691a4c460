"""How records look to a person: one readable line per record."""

import json

from newswire.kafka.serde import Headers, header
from schemas import EnrichedArticle, RawArticle

MAX_ENTITIES = 5
MAX_TOPICS = 3


def enriched_line(article: EnrichedArticle) -> str:
    entities = ", ".join(
        f"{entity.name} ({entity.type.value})" for entity in article.entities[:MAX_ENTITIES]
    )
    topics = ", ".join(f"{topic.label} {topic.score:.2f}" for topic in article.topics[:MAX_TOPICS])
    return f"{article.title}\n    entities: {entities or '-'}\n    topics:   {topics or '-'}"


def raw_line(article: RawArticle) -> str:
    where = article.url or article.source.path or article.source.feed_url or "-"
    return f"{article.title}  [{article.source.kind.value}] {where}"


def dead_letter_line(value: bytes | None, headers: Headers | None) -> str:
    reason = header(headers, "dlq.reason") or "unknown"
    origin = f"{header(headers, 'dlq.topic')}[{header(headers, 'dlq.partition')}]"
    offset = header(headers, "dlq.offset")
    message = header(headers, "dlq.error.message") or ""
    preview = (value or b"")[:60].decode("utf-8", errors="replace")
    return f"{reason} at {origin}@{offset}: {message}\n    value: {preview!r}"


def record_line(value: bytes | None, headers: Headers | None) -> str:
    """The readable line for any newswire record, chosen by its headers."""
    if header(headers, "dlq.reason") is not None:
        return dead_letter_line(value, headers)
    schema = header(headers, "schema")
    if schema == EnrichedArticle.SCHEMA and value is not None:
        return enriched_line(EnrichedArticle.model_validate_json(value))
    if schema == RawArticle.SCHEMA and value is not None:
        return raw_line(RawArticle.model_validate_json(value))
    return (value or b"").decode("utf-8", errors="replace")


def record_json(key: bytes | None, value: bytes | None, headers: Headers | None) -> str:
    """The record as one JSON line: the value itself when it is JSON, else a description of it."""
    if header(headers, "dlq.reason") is None and value is not None:
        try:
            return json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            pass
    return json.dumps(
        {
            "key": key.decode("utf-8", errors="replace") if key else None,
            "headers": {k: v.decode("utf-8", errors="replace") for k, v in headers or () if v},
            "value": (value or b"").decode("utf-8", errors="replace"),
        },
        ensure_ascii=False,
    )

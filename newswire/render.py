"""How records look to a person: one readable line per record."""

import json
import re
from datetime import UTC

from newswire.errors import DecodeError
from newswire.kafka.serde import Headers, decode_article, header
from schemas import ALL_RECORDS, EnrichedArticle, Feature, RawArticle

MAX_ENTITIES = 5
MAX_TOPICS = 3
# A headline is shown whole up to this; a record's title may be megabytes long.
MAX_TITLE_CHARS = 200
# A value that holds no article is shown up to this; a record may hold a megabyte.
MAX_VALUE_BYTES = 2000
_MODELS = {model.SCHEMA: model for model in ALL_RECORDS}
# What a record's text may hold that a terminal would act on instead of showing: C0 and C1
# controls (escape sequences set the window title, clear the screen, move the cursor), DEL, the
# Unicode line and paragraph separators, and the bidirectional overrides that reorder what is
# shown. Each is shown escaped ("\x1b"); tabs and line breaks become spaces, so that a record
# stays on its lines.
_ABOVE_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f{_ABOVE_C0}]")
# What of those JSON text may still hold raw inside its strings (json.dumps escapes only what is
# below U+0020), and the lone surrogates a terminal cannot be sent.
_JSON_UNSAFE = re.compile(f"[{_ABOVE_C0}\ud800-\udfff]")


def shown(text: str) -> str:
    """`text` safe to print to a terminal, on one line."""
    return _CONTROLS.sub(_escaped, text)


def headline(article: RawArticle) -> str:
    """The article's title on one line, cut to `MAX_TITLE_CHARS` (not yet `shown`)."""
    title = " ".join(article.title[: MAX_TITLE_CHARS + 1].split())
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _escaped(control: re.Match[str]) -> str:
    char = control.group()
    return " " if char in "\t\n\r" else char.encode("unicode_escape").decode()


def enriched_line(article: EnrichedArticle) -> str:
    entities = ", ".join(
        f"{shown(entity.name)} ({entity.type.value})" for entity in article.entities[:MAX_ENTITIES]
    )
    topics = ", ".join(f"{topic.label} {topic.score:.2f}" for topic in article.topics[:MAX_TOPICS])
    entities = entities or _none(article, Feature.ENTITIES)
    topics = topics or _none(article, Feature.TOPICS)
    return f"{shown(headline(article))}\n    entities: {entities}\n    topics:   {topics}"


def _none(article: EnrichedArticle, feature: Feature) -> str:
    """What stands for an empty list: a dash, with why when enrich did not look."""
    reason = article.skipped.get(feature)
    return f"- (not looked for: {shown(reason)})" if reason else "-"


def raw_line(article: RawArticle) -> str:
    where = article.url or article.source.path or article.source.feed_url or "-"
    return shown(f"{headline(article)}  [{article.source.kind.value}] {where}")


def dead_letter_line(value: bytes | None, headers: Headers | None) -> str:
    reason = header(headers, "dlq.reason") or "unknown"
    origin = f"{header(headers, 'dlq.topic')}[{header(headers, 'dlq.partition')}]"
    offset = header(headers, "dlq.offset")
    message = header(headers, "dlq.error.message") or ""
    preview = (value or b"")[:60].decode("utf-8", errors="replace")
    return f"{shown(f'{reason} at {origin}@{offset}: {message}')}\n    value: {preview!r}"


def article_line(article: RawArticle) -> str:
    """One line: when, where from, the headline, and for an enriched article who and what about."""
    when = (article.published_at or article.fetched_at).astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
    where = " ".join(
        part for part in (article.source.kind.value, article.source.site, article.language) if part
    )
    line = f"{when}  [{where}] {headline(article)}"
    if isinstance(article, EnrichedArticle):
        entities = ", ".join(entity.name for entity in article.entities[:MAX_ENTITIES])
        topics = ", ".join(topic.label for topic in article.topics[:MAX_TOPICS])
        line += f"  | {entities or '-'} | {topics or '-'}"
    return shown(line)


def article_of(value: bytes | None, headers: Headers | None) -> RawArticle | None:
    """The article a record holds, as the model its `schema` header names; None if it holds none."""
    if header(headers, "dlq.reason") is not None:
        return None  # a dead letter's value is the record that failed, not an article
    model = _MODELS.get(header(headers, "schema") or "")
    if model is None:
        return None
    try:
        return decode_article(value, model)
    except DecodeError:
        return None


def record_line(value: bytes | None, headers: Headers | None) -> str:
    """The readable line for any newswire record, chosen by its headers."""
    if header(headers, "dlq.reason") is not None:
        return dead_letter_line(value, headers)
    article = article_of(value, headers)
    if isinstance(article, EnrichedArticle):
        return enriched_line(article)
    if article is not None:
        return raw_line(article)
    if value is None:
        return "(a tombstone: no value)"
    text = value[:MAX_VALUE_BYTES].decode("utf-8", errors="replace")
    if len(value) > MAX_VALUE_BYTES:
        text += f"… ({len(value)} bytes)"
    return shown(text) or "(an empty value)"


def record_json(key: bytes | None, value: bytes | None, headers: Headers | None) -> str:
    """The record as one JSON line: the value itself when it is JSON, else a description of it."""
    if header(headers, "dlq.reason") is None and value is not None:
        try:
            # Decoded first: json.loads would take bytes in UTF-16 or UTF-32 as well.
            return _json_line(json.loads(value.decode(), parse_constant=_not_json))
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python goes
            pass
    return _json_line(
        {
            "key": key.decode("utf-8", errors="replace") if key else None,
            "headers": {k: v.decode("utf-8", errors="replace") for k, v in headers or () if v},
            "value": None if value is None else value.decode("utf-8", errors="replace"),
        }
    )


def _json_line(data: object) -> str:
    """`data` as one line of JSON safe to print to a terminal: what it would act on is written
    in JSON's `\\u` form, the same text to whoever reads the JSON."""
    text = json.dumps(data, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda char: f"\\u{ord(char.group()):04x}", text)


def _not_json(constant: str) -> object:
    """Python's json reads NaN and Infinity, which JSON has no words for."""
    raise ValueError(f"{constant} is not JSON")

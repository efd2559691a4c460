import json
from datetime import UTC, datetime

import pytest

from newswire.errors import DecodeError
from newswire.kafka.serde import ArticleSerializer, Headers, decode_article, header
from schemas import EnrichedArticle, Enricher, RawArticle, Source, SourceKind

ARTICLE = RawArticle(
    id="0" * 32,
    title="Ünïcode title",
    body="body",
    fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    content_hash="f" * 64,
    source=Source(kind=SourceKind.SEED, path="x.txt"),
)


def test_round_trip_with_headers() -> None:
    headers: Headers = []
    value = ArticleSerializer().serialize("t", headers, ARTICLE)
    assert dict(headers) == {
        "content-type": b"application/json",
        "schema": b"newswire.article.raw/1",
    }
    assert decode_article(value, RawArticle) == ARTICLE


def test_bytes_pass_through_untouched() -> None:
    headers: Headers = [("x", b"1")]
    assert ArticleSerializer().serialize("t", headers, b"\xff raw") == b"\xff raw"
    assert headers == [("x", b"1")]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty"),
        (b"\xff\xfe garbage", "invalid_utf8"),
        (b"{not json", "invalid_json"),
        (b'{"title": "valid JSON, wrong shape"}', "schema_mismatch"),
        (b"[1, 2, 3]", "schema_mismatch"),
    ],
)
def test_poison_values_raise_decode_error(value: bytes | None, reason: str) -> None:
    with pytest.raises(DecodeError) as raised:
        decode_article(value, RawArticle)
    assert raised.value.reason == reason


def test_header_lookup() -> None:
    headers: Headers = [("a", b"1"), ("bad", b"\xff")]
    assert header(headers, "a") == "1"
    assert header(headers, "bad") == "\ufffd"  # there, and unlike any value expected
    assert header(headers, "missing") is None
    assert header(None, "a") is None


def test_a_decode_error_shows_the_writer_s_keys_escaped_and_cut() -> None:
    hostile = "\x1b]0;PWNED\x07\x1b[2J" + "k" * 10_000
    article = EnrichedArticle(
        **ARTICLE.model_dump(),
        enriched_at=datetime(2026, 1, 1, tzinfo=UTC),
        enricher=Enricher(version="1", models={}),
    )
    value = article.model_dump_json().replace('"models":{}', f'"models":{json.dumps({hostile: 1})}')
    with pytest.raises(DecodeError) as raised:
        decode_article(value.encode(), EnrichedArticle)
    message = str(raised.value)
    assert "enricher.models.\\x1b]0;PWNED\\x07" in message
    assert "\x1b" not in message and "\x07" not in message
    assert len(message) < 400

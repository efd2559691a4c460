from datetime import UTC, datetime

import pytest

from schemas import Source, SourceKind
from services.ingest.identity import content_hash, id_from_content, id_from_url
from services.ingest.normalize import ArticleDraft, article_keys, build_article

FETCHED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SEED = Source(kind=SourceKind.SEED, path="a.txt")


def test_article_with_url_gets_canonical_url_and_its_id() -> None:
    draft = ArticleDraft(
        title=" Story ",
        body="Text",
        url="https://Example.com/s?utm_source=rss",
        authors=["A", "A", " ", "B"],
        language="EN",
        published_at=datetime(2026, 1, 1, 12, 0),  # naive: read as UTC
    )
    article = build_article(draft, SEED, FETCHED)
    assert article.url == "https://example.com/s"
    assert article.title == "Story"
    assert article.authors == ["A", "B"]
    assert article.language == "en"
    assert article.published_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert article.fetched_at == FETCHED


def test_article_without_url_gets_content_id() -> None:
    article = build_article(ArticleDraft(title="T", body="B"), SEED, FETCHED)
    assert article.url is None
    assert article.id == id_from_content("T", "B")


def test_changed_body_changes_hash_not_url_id() -> None:
    first = build_article(ArticleDraft(title="T", body="v1", url="https://x.test/a"), SEED, FETCHED)
    second = build_article(
        ArticleDraft(title="T", body="v2", url="https://x.test/a"), SEED, FETCHED
    )
    assert first.id == second.id
    assert first.content_hash != second.content_hash


def test_keys_worked_out_once_give_the_same_record() -> None:
    draft = ArticleDraft(title="T", body="B", url="https://x.test/a?utm_source=rss")
    keys = article_keys(draft)
    assert keys.url == "https://x.test/a"
    assert keys.id == id_from_url("https://x.test/a")
    assert keys.content_hash == content_hash("T", "B")
    assert build_article(draft, SEED, FETCHED, keys) == build_article(draft, SEED, FETCHED)


def test_a_link_that_is_not_a_url_has_no_keys() -> None:
    with pytest.raises(ValueError):
        article_keys(ArticleDraft(title="T", url="http://bad.example:99999/"))

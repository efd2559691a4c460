from datetime import UTC, datetime

from schemas import Source, SourceKind
from services.ingest.identity import id_from_content
from services.ingest.normalize import ArticleDraft, build_article

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

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.errors import SeedError
from services.ingest.fit import MAX_ARTICLE_BYTES
from services.ingest.normalize import ArticleDraft
from services.ingest.seeds import read_seed, seed_articles, seed_files
from tests.services.ingest.counters import source_errors

REPO_SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def _one(path: Path) -> ArticleDraft | SeedError:
    results = list(read_seed(path))
    assert len(results) == 1
    return results[0]


def test_repository_seed_is_a_title_and_a_body() -> None:
    (path,) = seed_files(REPO_SEEDS)
    draft = _one(path)
    assert isinstance(draft, ArticleDraft)
    assert draft.title == "Turkish President Discusses War In Ukraine With Belarus's Lukashenka"
    assert draft.body.startswith("Turkish President Recep Tayyip Erdogan (right)")
    assert draft.body.endswith("With reporting by Reuters")


def test_json_and_jsonl_seeds(tmp_path: Path) -> None:
    article = {
        "title": "A",
        "body": "B",
        "url": "https://x.test/a",
        "published_at": "2024-03-01T10:00:00+02:00",
    }
    (tmp_path / "one.json").write_text(json.dumps(article))
    (tmp_path / "many.json").write_text(json.dumps([article, {**article, "title": "C"}]))
    (tmp_path / "lines.jsonl").write_text(json.dumps(article) + "\n\n" + json.dumps(article) + "\n")
    (tmp_path / "ignored.md").write_text("not a seed")
    drafts = [result for path in seed_files(tmp_path) for result in read_seed(path)]
    assert len(drafts) == 5
    assert all(isinstance(draft, ArticleDraft) for draft in drafts)
    first = drafts[0]
    assert isinstance(first, ArticleDraft)
    assert first.published_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def test_a_seed_s_language_and_site_are_as_a_feed_item_s(tmp_path: Path) -> None:
    seed = tmp_path / "tagged.jsonl"
    lines = [
        {"title": "A", "url": "https://News.x.test/a", "language": "en_US"},
        {"title": "B", "language": "English"},  # no ISO 639-1 code: enrich identifies it
    ]
    seed.write_text("\n".join(json.dumps(line) for line in lines))
    linked, unlinked = seed_articles([seed], datetime.now(UTC))
    assert (linked.language, linked.source.site, linked.source.path) == (
        "en",
        "news.x.test",
        "tagged.jsonl",
    )
    assert (unlinked.language, unlinked.source.site) == (None, None)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"  \n\n", "empty"),
        ("nothing.json", b"[]", "empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("latin1.txt", "Caf\xe9 society\nbody".encode("latin-1"), "not_utf8"),
        ("broken.json", b'{"title": "A", ', "invalid_json"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
        ("untitled.json", b'{"body": "no title"}', "invalid_record"),
        ("wrongtype.json", b'{"title": "A", "authors": 5}', "invalid_record"),
        ("badport.json", b'{"title": "A", "url": "http://x.test:99999/a"}', "invalid_url"),
        ("badhost.json", b'{"title": "A", "url": "http://[x.test/a"}', "invalid_url"),
        ("relative.json", b'{"title": "A", "url": "not a url"}', "invalid_url"),
        ("script.json", b'{"title": "A", "url": "javascript:alert(1)"}', "invalid_url"),
        ("hostless.json", b'{"title": "A", "url": "https:///a"}', "invalid_url"),
    ],
)
def test_bad_seed_is_reported_by_name_with_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    error = _one(path)
    assert isinstance(error, SeedError)
    assert error.reason == reason
    assert reason in SeedError.REASONS  # a series from the start
    assert name in str(error)


def test_bad_line_does_not_stop_the_others(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"title": "good 1"}\n{not json\n{"title": ""}\n{"title": "good 2"}\n')
    results = list(read_seed(path))
    titles = [result.title for result in results if isinstance(result, ArticleDraft)]
    errors = [result for result in results if isinstance(result, SeedError)]
    assert titles == ["good 1", "good 2"]
    assert [(error.path, error.reason) for error in errors] == [
        (f"{path}:2", "invalid_json"),
        (f"{path}:3", "invalid_record"),
    ]


def test_a_line_that_is_no_utf8_is_its_own_error_and_a_line_separator_is_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mixed.jsonl"
    inside = json.dumps({"title": "one\u2028line"}, ensure_ascii=False).encode()
    path.write_bytes(b'{"title": "good 1"}\n{"title": "caf\xe9"}\n' + inside + b"\n")
    results = list(read_seed(path))
    titles = [result.title for result in results if isinstance(result, ArticleDraft)]
    errors = [(result.path, result.reason) for result in results if isinstance(result, SeedError)]
    assert titles == ["good 1", "one line"]  # one article, its title made one line
    assert errors == [(f"{path}:2", "not_utf8")]


def test_a_seed_too_large_for_a_record_is_cut_to_fit_and_one_that_cannot_be_is_counted(
    tmp_path: Path,
) -> None:
    paragraph = "Word " * 200 + "\n\n"
    huge = {"title": "Huge", "body": paragraph * (5 * MAX_ARTICLE_BYTES // len(paragraph))}
    headline = {"title": "T" * MAX_ARTICLE_BYTES}
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps(huge) + "\n" + json.dumps(headline) + "\n")
    before = source_errors("seed", "too_large")

    (article,) = seed_articles([path], datetime.now(UTC))
    assert article.title == "Huge"
    assert len(article.model_dump_json().encode()) <= MAX_ARTICLE_BYTES
    assert huge["body"].startswith(article.body) and len(article.body) > MAX_ARTICLE_BYTES // 2
    assert source_errors("seed", "too_large") == before + 1


def test_a_seed_whose_link_is_no_url_is_counted_and_the_others_published(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.jsonl"
    good.write_text(json.dumps({"title": "Good", "url": "https://x.test/good"}))
    bad.write_text(json.dumps({"title": "Bad", "url": "http://x.test:99999/bad"}) + "\n")
    before = source_errors("seed", "invalid_url")
    articles = seed_articles([bad, good], datetime.now(UTC))
    assert [article.title for article in articles] == ["Good"]
    assert source_errors("seed", "invalid_url") == before + 1

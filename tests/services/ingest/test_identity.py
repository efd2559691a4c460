import pytest

from services.ingest.identity import (
    canonical_url,
    content_hash,
    id_from_content,
    id_from_url,
    is_tracking_parameter,
)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("HTTPS://News.Example.COM/a/b", "https://news.example.com/a/b"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=rss&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?fbclid=1&gclid=2&b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_canonical_url(given: str, canonical: str) -> None:
    assert canonical_url(given) == canonical


def test_same_story_same_id_across_scheme_and_tracking() -> None:
    ids = {
        id_from_url(canonical_url(url))
        for url in (
            "https://example.com/world/story?utm_campaign=feed",
            "http://EXAMPLE.com/world/story#top",
            "https://example.com/world/story?fbclid=abc",
        )
    }
    assert len(ids) == 1
    assert len(ids.pop()) == 32


def test_different_stories_different_ids() -> None:
    assert id_from_url(canonical_url("https://example.com/a")) != id_from_url(
        canonical_url("https://example.com/b")
    )


def test_content_id_ignores_whitespace_but_not_words() -> None:
    assert id_from_content("Title", "Body  text\n") == id_from_content(" Title", "Body text")
    assert id_from_content("Title", "Body text") != id_from_content("Title", "Other text")
    assert len(content_hash("t", "b")) == 64


def test_tracking_parameters() -> None:
    assert is_tracking_parameter("UTM_Source")
    assert is_tracking_parameter("fbclid")
    assert not is_tracking_parameter("id")

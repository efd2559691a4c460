import hashlib
import random
import sys
import unicodedata
from urllib.parse import urljoin

import pytest

from services.ingest.identity import (
    _canonicalize,
    canonical_url,
    content_hash,
    id_from_content,
    id_from_url,
    is_plain_http_url,
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
        # News sites' own analytics tags, as their feeds put them on every link.
        (
            "https://www.bbc.com/news/a1?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.com/news/a1",
        ),
        ("https://www.lemonde.fr/a.html?xtor=RSS-3208", "https://www.lemonde.fr/a.html"),
        ("https://www.theguardian.com/a?CMP=share_btn_url", "https://www.theguardian.com/a"),
        ("https://example.com/a?traffic_source=rss&page=2", "https://example.com/a?page=2"),
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


def _simple_looking_url(rng: random.Random) -> str:
    """An http(s) URL near the edge of what `canonical_url` canonicalises without w3lib: each
    part is one it does, or one time in ten an odd one, which it may leave to w3lib."""

    def part(odd: list[str], alphabet: str = "abcXYZ09._~-") -> str:
        if rng.random() < 0.1:
            return rng.choice(odd)
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))

    labels = ["x" * 64, "xn--abc", "xn--zz", "XN--ABC", "a--b", "-a", "0x7f", "123", "", "é"]
    host = ".".join(part(labels, "abcABZ019-") for _ in range(rng.randint(1, 4)))
    segments = ["", ".", "..", ".a", "a.", "a..b", "%41", "%2f", "a;b", "é", "a b", "a:b"]
    path = "".join("/" + part(segments) for _ in range(rng.randint(0, 4)))
    names = ["", "utm_x", "UTM_Y", "fbclid", "_ga", "_gax", "q+r", "%41", "a:b", "a=b"]
    values = ["", "=", "x=y", "a+b", "%7e", "a/b", ":", "é"]
    fields = [f"{part(names)}={part(values)}" for _ in range(rng.randint(0, 5))]
    fields += [part(names)] if rng.random() < 0.1 else []  # no "="
    query = "?" + "&".join(fields) if rng.random() < 0.7 else ""
    fragment = "#" + part(["é", " ", "#"], "ab#?/=&%~") if rng.random() < 0.3 else ""
    scheme = rng.choice(["http", "https", "HTTP", "hTtPs", "ftp", "https"])
    port = rng.choice([":443", ":8080", ":"]) if rng.random() < 0.1 else ""
    return f"{scheme}://{host}{port}{path}{query}{fragment}"


def test_canonical_url_agrees_with_w3lib_where_it_skips_it() -> None:
    rng = random.Random(8)
    urls = [_simple_looking_url(rng) for _ in range(3000)]
    assert [canonical_url(url) for url in urls] == [_canonicalize(url) for url in urls]
    assert canonical_url("https://a.example/p#x?y") == _canonicalize("https://a.example/p#x?y")


def test_a_plain_http_url_is_what_joining_it_to_any_base_gives() -> None:
    rng = random.Random(9)
    urls = [_simple_looking_url(rng) for _ in range(3000)]
    plain = [url for url in urls if is_plain_http_url(url)]
    assert 1000 < len(plain) < len(urls)
    for base in ("https://site.example/feed/", "http://other.example"):
        joined = [canonical_url(urljoin(base, url)) for url in plain]
        assert joined == [canonical_url(url) for url in plain]


@pytest.mark.parametrize(
    "url",
    ["/a/b", "a/b", "//host.example/a", "ftp://host.example/a", "http://host.example/./a",
     "http://host.example/../a", "javascript:alert(1)", "http://user@host.example/a"],
)  # fmt: skip
def test_links_to_join_or_refuse_are_not_plain(url: str) -> None:
    assert not is_plain_http_url(url)


_SPACES = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]


def _definition(title: str, body: str) -> str:
    """`content_hash` by definition: NFC, then one space for each run of what `str.split()`
    takes for whitespace, none at the ends."""
    title, body = (" ".join(unicodedata.normalize("NFC", text).split()) for text in (title, body))
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def test_content_hash_folds_every_kind_of_whitespace_as_split_does() -> None:
    rng = random.Random(8)
    letters = ["a", "Z", "é", "e\u0301", "\u212a", "\u2019", "中", "\U0001f600", "\u200b", "\x00"]
    ascii_spaces = [space for space in _SPACES if space.isascii()]
    for _ in range(3000):
        alphabet = letters + rng.choice([ascii_spaces, _SPACES])  # the fast way, or the long one
        title, body = (
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(2)
        )
        assert content_hash(title, body) == _definition(title, body)

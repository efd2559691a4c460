"""feedparser with its slowest parts replaced reads every document as it does without."""

import copy
import io
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pytest

from services.ingest import feedparser_speedups

FEEDS = Path(__file__).parent / "feeds"

# Links feedparser resolves, which `_joined` leaves as they are only when `urljoin` would.
_LINKS = [
    "", "https://j.example/a/b?c=1&d#e", "http://j.example", "HTTP://j.example/up", "http://j.example/?",
    "http://j.example/a#", "http://j.example/a?#f", "http:///j.example/slashes", "rel/2", "/root",
    "//j.example/net", "?q=1", "#frag", "mailto:x@j.example", "javascript:alert(1)",
    "https://j.example/a b", "https://j.example/%7Eu/./x", "https://user@j.example:8080/p;q",
]  # fmt: skip
_LINKS_FEED = (
    '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
    'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>P</title>'
    "<link>HTTP://Links.example/?</link><item><title type='html'>A &lt;b&gt;title&lt;/b&gt;"
    "</title><description>Notes.</description><itunes:summary>Summary.</itunes:summary>"
    "<media:content url='https://p.example/a.jpg'><media:description>Caption.</media:description>"
    "</media:content></item><item xml:base='http://links.example/dir/'>"
    "<title>\u2019Curly\u2019 and \x93C1\x94, caf\u00e9 \U0001f600</title><link>rel/1</link>"
    "<guid>http:///links.example/2#</guid><enclosure url='HTTPS://links.example/a.mp3?' "
    "type='audio/mpeg' length='1'/></item>"
    + "".join(
        f"<item><title>{n}</title><link>{escape(url)}</link></item>" for n, url in enumerate(_LINKS)
    )
    + "</channel></rss>"
)


def test_feedparser_reads_the_same_with_its_slowest_parts_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = ["rss091.xml", "rss10.rdf", "rss20.xml", "atom03.xml", "atom10.xml", "truncated.xml"]
    names += ["control_chars.xml", "latin1_declared_utf8.xml", "utf8_declared_latin1.xml"]
    bodies = [(FEEDS / name).read_bytes() for name in names] + [_LINKS_FEED.encode()]

    def read() -> list[object]:
        options = {"sanitize_html": False, "resolve_relative_uris": False}
        parsed = [feedparser.parse(io.BytesIO(body), **options) for body in bodies]
        return [(result.feed, result.entries) for result in parsed]

    assert feedparser.mixin.copy is not copy  # the speedups are in place
    parsed_links = feedparser.parse(io.BytesIO(bodies[-1]))
    replaced = read()
    monkeypatch.setattr(feedparser.mixin, "copy", copy)
    monkeypatch.setattr(feedparser.mixin, "_cp1252", feedparser.html._cp1252)
    monkeypatch.setattr(feedparser.mixin, "_urljoin", feedparser.urls._urljoin)
    stock_push = feedparser_speedups.STOCK_PUSH_CONTENT
    monkeypatch.setattr(feedparser.mixin._FeedParserMixin, "push_content", stock_push)
    assert read() == replaced
    assert not parsed_links.bozo  # read by the XML parser, as well-formed feeds are
    titles = [entry.get("title") for entry in replaced[-1][1]]  # type: ignore[index]
    assert "\u2019Curly\u2019 and \u201cC1\u201d, caf\u00e9 \U0001f600" in titles


@pytest.mark.parametrize(
    "base", ["", "http://base.example/dir/page", "https://base.example/", "ftp://base.example/"]
)
def test_links_are_joined_as_feedparser_joins_them(base: str) -> None:
    for link in _LINKS:
        assert feedparser_speedups._joined(base, link) == feedparser.urls._urljoin(base, link)

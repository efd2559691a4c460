"""Feeds of every format, and hostile ones, fetched over real HTTP from 127.0.0.1 and parsed."""

import io
import json
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from newswire.errors import FeedParseError
from schemas import SourceKind
from services.ingest import parse
from services.ingest.normalize import ArticleDraft, Enclosure
from services.ingest.parse import ParsedFeed, parse_feed
from services.ingest.sanitize import html_to_text
from tests.services.ingest.test_fetch import FeedServer, Reply, make_fetcher

FEEDS = Path(__file__).parent / "feeds"
RSS_TYPE = "application/rss+xml"

FetchAndParse = Callable[..., ParsedFeed]


@pytest.fixture
def served() -> Iterator[tuple[FeedServer, FetchAndParse]]:
    """A feed server, and a function that serves a body at a path, fetches it and parses it."""
    with FeedServer() as server, make_fetcher() as fetcher:

        def fetch_and_parse(
            name: str, content_type: str = RSS_TYPE, body: bytes | None = None
        ) -> ParsedFeed:
            data = (FEEDS / name).read_bytes() if body is None else body
            server.routes[f"/{name}"] = Reply(body=data, headers={"Content-Type": content_type})
            result = fetcher.fetch(server.url(f"/{name}"))
            return parse_feed(result.body, result.headers, result.url)

        yield server, fetch_and_parse


@pytest.fixture
def feed(served: tuple[FeedServer, FetchAndParse]) -> FetchAndParse:
    return served[1]


def texts(parsed: ParsedFeed) -> str:
    """Every piece of text that left the parser, for checks on what must never appear."""
    fields = [parsed.title or ""]
    for item in parsed.items:
        fields += [item.title, item.summary, item.body, *item.authors, *item.categories]
    return "\n".join(fields)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_rss_091(feed: FetchAndParse) -> None:
    parsed = feed("rss091.xml", "text/xml")
    assert (parsed.kind, parsed.title, parsed.site, parsed.language) == (
        SourceKind.RSS,
        "Harbour Town Gazette",
        "gazette.example",
        "en",
    )
    assert [item.title for item in parsed.items] == [
        "Ferry timetable changes for the winter",
        "Lighthouse reopens to visitors",
    ]
    first = parsed.items[0]
    assert first.url == "http://gazette.example/news/ferry-winter.html"
    assert first.published_at is None and first.published_at_inferred


def test_rss_10_rdf(feed: FetchAndParse) -> None:
    parsed = feed("rss10.rdf", "application/rdf+xml")
    assert (parsed.kind, parsed.title, parsed.language) == (SourceKind.RSS, "Science Notes", "de")
    [item] = parsed.items
    assert item.title == "Neue Messungen am Gletscher"
    assert item.body == "Die Forscher messen seit März täglich."
    assert item.authors == ["Anna Beispiel"] and item.categories == ["Klima"]
    assert item.published_at == utc(2026, 1, 5, 7, 30) and not item.published_at_inferred


def test_rss_20(feed: FetchAndParse) -> None:
    parsed = feed("rss20.xml")
    assert (parsed.kind, parsed.title, parsed.site, parsed.ttl, parsed.language) == (
        SourceKind.RSS,
        "Riverside Daily",
        "www.riverside.example",
        2700.0,
        "en",
    )
    bridge, market, untitled = parsed.items
    assert bridge == ArticleDraft(
        guid="riverside-1001",
        title="Council approves new bridge",
        url="https://www.riverside.example/2026/01/bridge?utm_source=rss",
        summary="The council voted 9 to 2 for the bridge.",
        body="The council voted 9 to 2 on Monday.\n\nWork starts in spring & ends in 2028.\n"
        "Costs: €12m.",
        authors=["Maria Example"],
        categories=["Local", "Transport"],
        language="en",
        published_at=utc(2026, 1, 5, 8, 0),
        enclosures=[
            Enclosure(
                url="https://www.riverside.example/media/bridge.jpg",
                mime_type="image/jpeg",
                length=48213,
            )
        ],
    )
    assert market.url == "https://www.riverside.example/2026/01/market"  # relative to the site
    assert market.guid == "https://www.riverside.example/2026/01/market"
    # "Sun, 04 Jan 2026 09:15:00" has no zone: the time is not guessed.
    assert market.published_at is None and market.published_at_inferred
    assert untitled.title == "A short note without a title, about the weather this week."
    assert untitled.guid == "riverside-1003" and untitled.url is None


def test_atom_03(feed: FetchAndParse) -> None:
    parsed = feed("atom03.xml", "application/atom+xml")
    assert (parsed.kind, parsed.title, parsed.language) == (SourceKind.ATOM, "Carnet de bord", "fr")
    [entry] = parsed.items
    assert entry.title == "Départ du port" and entry.body == "Nous partons à l'aube."
    assert entry.published_at == utc(2026, 1, 3, 10, 0)
    assert entry.updated_at == utc(2026, 1, 3, 12, 0)
    assert entry.authors == ["Jeanne Exemple"] and entry.language == "fr"


def test_atom_10(feed: FetchAndParse) -> None:
    parsed = feed("atom10.xml", "application/atom+xml")
    assert (parsed.kind, parsed.title, parsed.site) == (
        SourceKind.ATOM,
        "Engineering Log",
        "eng.example",
    )
    builds, local = parsed.items
    assert builds.title == "Faster builds with caching"
    assert builds.guid == "urn:uuid:5f1c3a5e-0000-4000-8000-000000000002"
    assert builds.summary == "How we cut build times in half."
    assert builds.body == "First paragraph.\n\nSecond paragraph."
    assert builds.authors == ["Sam Sample", "Alex Placeholder"]
    assert builds.categories == ["build"] and builds.language == "en"
    assert builds.published_at == utc(2026, 1, 6, 13, 0)
    assert builds.updated_at == utc(2026, 1, 6, 14, 0)
    assert builds.enclosures == [
        Enclosure(
            url="https://eng.example/audio/builds.mp3", mime_type="audio/mpeg", length=1234567
        )
    ]
    # Its only date has no offset: neither published nor updated is guessed.
    assert (local.published_at, local.updated_at, local.published_at_inferred) == (
        None,
        None,
        True,
    )


def test_json_feed_10(feed: FetchAndParse) -> None:
    parsed = feed("jsonfeed10.json", "application/feed+json")
    assert (parsed.kind, parsed.title, parsed.site, len(parsed.skipped)) == (
        SourceKind.JSONFEED,
        "Podcast Notes",
        "pod.example",
        1,  # the item whose title is a list
    )
    [episode] = parsed.items
    assert episode == ArticleDraft(
        guid="1",
        title="Episode one",
        url="https://pod.example/episodes/1",
        summary="Tides and boats.",
        body="We talk about tides.\n\nAnd boats.",
        authors=["Pat Host"],
        categories=["sea", "boats"],
        published_at=utc(2026, 1, 2, 10, 0),
        enclosures=[
            Enclosure(url="https://pod.example/audio/1.mp3", mime_type="audio/mpeg", length=10**6)
        ],
    )


def test_json_feed_11_even_with_a_wrong_content_type(feed: FetchAndParse) -> None:
    parsed = feed("jsonfeed11.json", "text/plain")
    assert (parsed.kind, parsed.language) == (SourceKind.JSONFEED, "es")
    note, link_post = parsed.items
    assert note.title == "Hoy llueve en la ciudad."  # no title: the text's first line
    assert note.body == "Hoy llueve en la ciudad.\n\nMañana, sol."
    assert note.authors == ["Lu Ejemplo", "Max Muster"] and note.language == "es"
    assert note.published_at == utc(2026, 1, 7, 6, 0)
    assert note.updated_at == utc(2026, 1, 7, 7, 0)
    # Its external_url is the page it is about: another publisher's article, not this one.
    assert link_post.url is None and link_post.language == "en"
    assert link_post.published_at is None and link_post.published_at_inferred


@pytest.mark.parametrize(
    "body",
    [b'{"title": "no version"}', b'{"version": "2", "items": []}', b"[1, 2]", b'{"version": '],
)
def test_json_that_is_not_a_json_feed_is_malformed(feed: FetchAndParse, body: bytes) -> None:
    with pytest.raises(FeedParseError) as caught:
        feed("bad.json", "application/json", body)
    assert caught.value.reason == "malformed"


def test_deeply_nested_json_fails_fast(feed: FetchAndParse) -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b"[" * 100_000
    started = time.monotonic()
    with pytest.raises(FeedParseError):
        feed("deep.json", "application/json", body)
    assert time.monotonic() - started < 2


def test_fifty_items_of_the_usual_shape(feed: FetchAndParse) -> None:
    parsed = feed("rss20_50_items.xml")
    assert len(parsed.items) == 50 and parsed.warning is None and not parsed.skipped
    assert all(item.body.count("\n\n") == 5 and item.published_at for item in parsed.items)
    assert len({item.guid for item in parsed.items}) == 50


def test_empty_feed_is_no_error(feed: FetchAndParse) -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    parsed = feed("empty.xml", body=body)
    assert parsed.items == [] and parsed.title == "Quiet" and parsed.warning is None


# -- what publishers actually write ----------------------------------------------------------------


def rss(items: str) -> ParsedFeed:
    body = f'<rss version="2.0"><channel><title>F</title><link>https://site.example/</link>{items}'
    return parse_feed(f"{body}</channel></rss>".encode(), {}, "https://site.example/feed")


def json_feed(**fields: object) -> ParsedFeed:
    feed = {"version": "https://jsonfeed.org/version/1.1", "home_page_url": "https://j.example/"}
    return parse_feed(json.dumps(feed | fields).encode(), {}, "https://j.example/feed.json")


@pytest.mark.parametrize(
    ("date", "published"),
    [
        ("Sex, 03 Jan 2025 23:47:00 -0300", utc(2025, 1, 4, 2, 47)),
        ("Mié., 01 Dec 2026 10:00:00 +0100", utc(2026, 12, 1, 9, 0)),
        ("Di, 01 Dec 2026 10:00:00 GMT", utc(2026, 12, 1, 10, 0)),
        ("Di, 01 Dec 2026 10:00:00", None),  # no zone
        ("Di, 31 Feb 2026 10:00:00 GMT", None),
        ("Di, 01 Dec 2026 10:00:00 CET", utc(2026, 12, 1, 9, 0)),
        ("Di, 01 Dec 2026 10:00:00 IST", None),  # India's, Ireland's or Israel's
    ],
)
def test_rss_dates_with_a_weekday_in_another_language(
    date: str, published: datetime | None
) -> None:
    (item,) = rss(f"<item><title>T</title><pubDate>{date}</pubDate></item>").items
    assert (item.published_at, item.published_at_inferred) == (published, published is None)


@pytest.mark.parametrize(
    ("date", "published"),
    [
        ("Tue, 01 Dec 2026 10:00:00 GMT", utc(2026, 12, 1, 10, 0)),
        ("Tue, 01 Dec 2026 10:00:00 UTC", utc(2026, 12, 1, 10, 0)),
        ("Tue, 01 Dec 2026 10:00:00 EST", utc(2026, 12, 1, 15, 0)),
        ("Tue, 01 Dec 2026 10:00:00 +0530", utc(2026, 12, 1, 4, 30)),
        ("01 Dec 2026 10:00 -0100", utc(2026, 12, 1, 11, 0)),
        # Zone names feedparser does not know, and would read as UTC: the time-zone database's.
        ("Tue, 01 Dec 2026 10:00:00 CET", utc(2026, 12, 1, 9, 0)),
        ("Wed, 01 Jul 2026 10:00:00 CEST", utc(2026, 7, 1, 8, 0)),
        ("Tue, 01 Dec 2026 10:00:00 JST", utc(2026, 12, 1, 1, 0)),
        ("01 Dec 2026 10:00:00 Europe/Berlin", utc(2026, 12, 1, 9, 0)),
        ("01 Jul 2026 10:00:00 Europe/Berlin", utc(2026, 7, 1, 8, 0)),  # summer time
        # India's, Ireland's or Israel's; no zone; a path out of the database.
        ("Tue, 01 Dec 2026 10:00:00 IST", None),
        ("Tue, 01 Dec 2026 10:00:00 MEZ", None),
        ("01 Dec 2026 10:00:00 Mars/Olympus_Mons", None),
        ("01 Dec 2026 10:00:00 Europe/../../etc/passwd", None),
        ("Tue, 01 Dec 2026 4:00:00 PM EST", None),  # feedparser reads 04:00
    ],
)
def test_rss_dates_with_a_zone_name_are_read_only_when_the_name_is_unambiguous(
    date: str, published: datetime | None
) -> None:
    (item,) = rss(f"<item><title>T</title><pubDate>{date}</pubDate></item>").items
    assert (item.published_at, item.published_at_inferred) == (published, published is None)


def test_rss_authors_given_as_addresses_one_or_several() -> None:
    one, several, bare = rss(
        "<item><title>1</title><author>ann@news.online (Ann Example)</author></item>"
        "<item><title>2</title><author>ann@x.example (Ann Example), bo@x.example (Bo Roe)"
        "</author></item>"
        "<item><title>3</title><author>desk@x.example</author></item>"
    ).items
    assert one.authors == ["Ann Example"]
    assert several.authors == ["Ann Example", "Bo Roe"]
    assert bare.authors == ["desk@x.example"]


def test_an_item_s_language_then_the_feed_s_then_the_response_s() -> None:
    items = (
        "<item><title>Bonjour</title><description>Le texte.</description></item>"
        '<item xmlns:dc="http://purl.org/dc/elements/1.1/"><title>Hallo</title>'
        "<dc:language>de</dc:language></item>"
        '<item><title xml:lang="es">Hola</title></item>'
    )
    body = f'<rss version="2.0"><channel><title>F</title><language>fr</language>{items}'
    french = parse_feed(
        f"{body}</channel></rss>".encode(), {"Content-Language": "en"}, "https://s.example/f"
    )
    assert french.language == "fr"
    assert [item.language for item in french.items] == ["fr", "de", "es"]
    unsaid = f'<rss version="2.0"><channel><title>F</title>{items}</channel></rss>'.encode()
    english = parse_feed(unsaid, {"Content-Language": "en-GB"}, "https://s.example/f")
    assert [item.language for item in english.items] == ["en", "de", "es"]
    several = parse_feed(unsaid, {"Content-Language": "en, fr"}, "https://s.example/f")
    assert [item.language for item in several.items] == [None, "de", "es"]


def test_authors_and_categories_escaped_as_html_are_read() -> None:
    (item,) = rss(
        '<item xmlns:dc="http://purl.org/dc/elements/1.1/"><title>T</title>'
        "<dc:creator><![CDATA[Sam O&#8217;Neil]]></dc:creator>"
        "<dc:creator>Zo&amp;#235;\n  Smith</dc:creator>"
        "<category><![CDATA[Tech &amp; Business]]></category>"
        "<category>World &amp;amp; Politics</category><category> </category></item>"
    ).items
    assert item.authors == ["Sam O\u2019Neil", "Zo\u00eb Smith"]
    assert item.categories == ["Tech & Business", "World & Politics"]


def test_a_feed_s_only_date_is_the_publication_not_an_update() -> None:
    (dublin_core,) = rss(
        '<item xmlns:dc="http://purl.org/dc/elements/1.1/"><title>T</title>'
        "<dc:date>2026-12-01T10:00:00Z</dc:date></item>"
    ).items
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>'
        "<updated>2026-12-01T12:00:00Z</updated>"
        '<entry><title>One</title><id>urn:1</id><link href="https://a.example/1"/>'
        "<updated>2026-12-01T10:00:00Z</updated></entry>"
        '<entry><title>Two</title><id>urn:2</id><link href="https://a.example/2"/>'
        "<published>2026-12-01T09:00:00Z</published><updated>2026-12-01T10:00:00Z</updated>"
        "</entry>"
        '<entry><title>Three</title><id>urn:3</id><link href="https://a.example/3"/>'
        "<published>2026-12-01T09:00:00Z</published><updated>2026-12-01T08:00:00Z</updated>"
        "</entry></feed>"
    )
    only_updated, edited, backdated = parse_feed(body.encode(), {}, "https://a.example/atom").items
    assert (backdated.published_at, backdated.updated_at) == (utc(2026, 12, 1, 9, 0), None)
    (same_second,) = rss(
        '<item xmlns:dc="http://purl.org/dc/elements/1.1/"><title>T</title>'
        "<pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate>"
        "<dc:date>2026-12-01T10:00:00.104Z</dc:date></item>"
    ).items
    assert (same_second.published_at, same_second.updated_at) == (utc(2026, 12, 1, 10, 0), None)
    for item in (dublin_core, only_updated):
        assert (item.published_at, item.updated_at) == (utc(2026, 12, 1, 10, 0), None)
    assert (edited.published_at, edited.updated_at) == (
        utc(2026, 12, 1, 9, 0),
        utc(2026, 12, 1, 10, 0),
    )
    (same,) = json_feed(
        items=[
            {
                "id": "1",
                "content_text": "x",
                "date_published": "2026-12-01T10:00:00Z",
                "date_modified": "2026-12-01T10:00:00Z",
            }
        ]
    ).items
    assert (same.published_at, same.updated_at) == (utc(2026, 12, 1, 10, 0), None)


def test_a_guid_that_is_no_url_does_not_become_the_link() -> None:
    bare, uuid, address, empty_link, marked = rss(
        "<item><title>Episode 2</title><guid>2</guid><link></link></item>"
        "<item><title>Episode 3</title><guid>8f14e45f-ceea-467a-9b36-a1b2c3d4e5f6</guid></item>"
        "<item><title>Post</title><guid>https://site.example/post</guid></item>"
        "<item><title>Story</title><link></link><guid>https://site.example/story</guid></item>"
        '<item><title>Page</title><guid isPermaLink="false">3</guid><link>/page</link></item>'
    ).items
    assert (bare.url, bare.guid) == (None, "2")
    assert (uuid.url, uuid.guid) == (None, "8f14e45f-ceea-467a-9b36-a1b2c3d4e5f6")
    assert address.url == "https://site.example/post"
    assert empty_link.url == "https://site.example/story"
    assert marked.url == "https://site.example/page"  # a real relative link still resolves


def test_the_body_is_the_item_s_text_not_a_caption_or_a_podcast_summary() -> None:
    shows = '<item xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
    notes = "<description>The show notes of this episode.</description>"
    itunes = "<itunes:summary>An iTunes summary, longer than the show notes.</itunes:summary>"
    article = '<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">'
    after_content, longer, alone = rss(
        f"{shows}<title>A</title>{notes}{article}The article.</content:encoded>{itunes}</item>"
        f"{shows}<title>B</title>{notes}{itunes}</item>"
        f"{shows}<title>C</title>{itunes}</item>"
    ).items
    assert (after_content.summary, after_content.body) == (
        "The show notes of this episode.",
        "The show notes of this episode.",  # the fullest of content and description
    )
    assert (longer.summary, longer.body) == ("The show notes of this episode.",) * 2
    # With nothing else, the iTunes summary is what the item says of itself.
    assert alone.summary == alone.body == "An iTunes summary, longer than the show notes."
    youtube = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">'
        "<title>Channel</title><entry><id>yt:video:1</id><title>Video</title>"
        '<link rel="alternate" href="https://video.example/watch?v=1"/>'
        "<media:group><media:title>Video</media:title>"
        "<media:description>What the video shows.</media:description></media:group></entry></feed>"
    )
    (video,) = parse_feed(youtube.encode(), {}, "https://video.example/feed").items
    assert video.summary == video.body == "What the video shows."

    captioned, podcast, full = rss(
        '<item xmlns:media="http://search.yahoo.com/mrss/"><title>Floods</title>'
        "<description>Thousands were evacuated as the river rose overnight.</description>"
        '<media:content url="https://site.example/a.jpg" medium="image">'
        "<media:description>Residents in a street.</media:description></media:content></item>"
        '<item xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><title>Episode 4</title>'
        "<description>&lt;p&gt;Tomatoes.&lt;/p&gt;&lt;p&gt;How to grow them in pots.&lt;/p&gt;"
        "</description><itunes:summary>All about tomatoes.</itunes:summary></item>"
        '<item xmlns:content="http://purl.org/rss/1.0/modules/content/"><title>Long read</title>'
        "<description>A teaser.</description>"
        "<content:encoded>&lt;p&gt;The whole article.&lt;/p&gt;</content:encoded></item>"
    ).items
    assert captioned.body == "Thousands were evacuated as the river rose overnight."
    assert podcast.body == "Tomatoes.\n\nHow to grow them in pots."
    assert (full.summary, full.body) == ("A teaser.", "The whole article.")


def test_media_rss_pictures_are_enclosures_once_each() -> None:
    (item,) = rss(
        '<item xmlns:media="http://search.yahoo.com/mrss/"><title>T</title>'
        '<enclosure url="https://site.example/a.jpg" type="image/jpeg" length="1234"/>'
        '<media:content url="https://site.example/a.jpg" type="image/jpeg" medium="image"/>'
        '<media:content url="/b.jpg" type="image/jpeg" fileSize="99"/>'
        '<media:thumbnail url="https://site.example/b-small.jpg" width="240"/></item>'
    ).items
    assert item.enclosures == [
        Enclosure(url="https://site.example/a.jpg", mime_type="image/jpeg", length=1234),
        Enclosure(url="https://site.example/b.jpg", mime_type="image/jpeg", length=99),
        Enclosure(url="https://site.example/b-small.jpg"),
    ]


def test_multi_line_titles_become_one_line() -> None:
    (item,) = rss("<item><title>\n  Storm warning\n  for the coast \n</title></item>").items
    assert item.title == "Storm warning for the coast"


@pytest.mark.parametrize(
    "description",
    [
        "&amp;lt;p&amp;gt;Polls close at 8 &amp;amp;amp; results follow&amp;lt;/p&amp;gt;",
        "<![CDATA[&lt;p&gt;Polls close at 8 &amp;amp; results follow&lt;/p&gt;]]>",
    ],
)
def test_markup_escaped_twice_becomes_text(description: str) -> None:
    (item,) = rss(f"<item><title>T</title><description>{description}</description></item>").items
    assert item.summary == "Polls close at 8 & results follow"


def test_a_tag_the_text_mentions_is_kept() -> None:
    description = "Use the &amp;lt;p&amp;gt; element for paragraphs."
    (item,) = rss(f"<item><title>T</title><description>{description}</description></item>").items
    assert item.summary == "Use the <p> element for paragraphs."


def test_feed_level_authors_stand_for_entries_without_their_own() -> None:
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>'
        "<updated>2026-12-01T10:00:00Z</updated>"
        "<author><name>Feed Desk</name><email>desk@a.example</email></author>"
        '<entry><title>One</title><id>urn:1</id><link href="https://a.example/1"/></entry>'
        '<entry><title>Two</title><id>urn:2</id><link href="https://a.example/2"/>'
        "<author><name>Ann Writer</name><email>ann@a.example</email></author>"
        '<category term="https://a.example/c/7" label="Politics"/></entry></feed>'
    )
    one, two = parse_feed(body.encode(), {}, "https://a.example/atom").items
    assert one.authors == ["Feed Desk"]
    assert two.authors == ["Ann Writer"] and two.categories == ["Politics"]

    first, second = json_feed(
        authors=[{"name": "Feed Author"}],
        items=[
            {"id": "1", "title": "One", "content_text": "x"},
            {"id": "2", "title": "Two", "content_text": "y", "authors": [{"name": "Own"}]},
        ],
    ).items
    assert (first.authors, second.authors) == (["Feed Author"], ["Own"])


def test_json_feed_nulls_and_numbers_where_lists_and_strings_belong() -> None:
    parsed = json_feed(
        items=[
            {"id": 1, "title": "tags null", "content_text": "x", "tags": None},
            {"id": 2, "title": "no attachments", "content_text": "x", "attachments": None},
            {"id": 3, "title": "numeric tag", "content_text": "x", "tags": ["news", 2026, {}]},
            {"id": 4, "title": "authors null", "content_text": "x", "authors": None},
            {"id": 7, "title": "bare", "content_text": "x", "tags": "solo", "author": "Ann Lee"},
            {"id": 5, "title": ["not", "a", "title"], "content_text": "x"},
            {"id": 6},
        ]
    )
    assert [item.title for item in parsed.items] == [
        "tags null",
        "no attachments",
        "numeric tag",
        "authors null",
        "bare",
    ]
    assert (parsed.items[4].categories, parsed.items[4].authors) == (["solo"], ["Ann Lee"])
    assert parsed.items[2].categories == ["news", "2026"] and parsed.items[0].guid == "1"
    invalid, empty = parsed.skipped
    assert (invalid.reason, invalid.detail) == (
        "invalid_item",
        "title: Input should be a valid string",
    )
    assert empty.reason == "empty_item"


def test_json_feed_items_keep_what_is_usable_of_their_optional_parts() -> None:
    lenient, link_post, summary_only = json_feed(
        items=[
            {
                "id": "https://j.example/?p=1",
                "title": "Lenient",
                "content_text": "x",
                "authors": ["Jane Doe", {"name": "Bo Roe"}],
                "attachments": [
                    {"mime_type": "audio/mpeg"},
                    {"url": "https://j.example/a.mp3", "size_in_bytes": ""},
                    {"url": "https://j.example/b.mp3", "size_in_bytes": "2048"},
                ],
            },
            {
                "id": "urn:post:2",
                "external_url": "https://other.example/story",
                "content_text": "Worth reading.",
            },
            {"id": "3", "title": "Summary only", "summary": "The whole text there is."},
        ]
    ).items
    assert lenient.authors == ["Jane Doe", "Bo Roe"]
    assert lenient.url == "https://j.example/?p=1"  # an id that is a URL, as an RSS GUID
    assert lenient.enclosures == [
        Enclosure(url="https://j.example/a.mp3"),
        Enclosure(url="https://j.example/b.mp3", length=2048),
    ]
    assert link_post.url is None and link_post.body == "Worth reading."  # not external_url's
    assert summary_only.body == "The whole text there is."


@pytest.mark.parametrize(
    ("date", "published"),
    [
        ("2026-12-01T10:00:00+01:00", utc(2026, 12, 1, 9, 0)),
        ("Tue, 01 Dec 2026 10:00:00 GMT", utc(2026, 12, 1, 10, 0)),  # RFC 822 where 3339 is due
        ("Tue, 01 Dec 2026 10:00:00 -0500", utc(2026, 12, 1, 15, 0)),
        ("2026-12-01t10:00:00z", utc(2026, 12, 1, 10, 0)),  # RFC 3339 allows lower case
        ("2026-12-01T10:00:00.750+01:00", utc(2026, 12, 1, 9, 0)),  # to the second
        ("Tue, 01 Dec 2026 10:00:00 JST", utc(2026, 12, 1, 1, 0)),
        ("2026-12-01T10:00:00", None),  # no offset, as RFC 3339 requires
        ("Tue, 01 Dec 2026 10:00:00", None),
        ("yesterday", None),
    ],
)
def test_json_feed_dates(date: str, published: datetime | None) -> None:
    (item,) = json_feed(items=[{"id": "1", "content_text": "x", "date_published": date}]).items
    assert (item.published_at, item.published_at_inferred) == (published, published is None)


def test_json_feed_with_a_byte_order_mark() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1", "items": [{"title": "T"}]})
    parsed = parse_feed(b"\xef\xbb\xbf" + body.encode(), {}, "https://j.example/feed.json")
    assert [item.title for item in parsed.items] == ["T"]


def test_json_feed_text_escaped_as_html_is_read() -> None:
    # As WordPress's JSON Feed plugin writes it.
    parsed = json_feed(
        title="Pixel &#038; Envy",
        items=[
            {
                "id": "1",
                "title": "Here&#8217;s the &#8220;Thing&#8221; &#038; More",
                "summary": "Apple&#8217;s new thing &#8230;",
                "content_text": "Fish &amp; chips",
            }
        ],
    )
    (item,) = parsed.items
    assert parsed.title == "Pixel & Envy"
    assert (item.title, item.summary, item.body) == (
        "Here\u2019s the \u201cThing\u201d & More",
        "Apple\u2019s new thing \u2026",
        "Fish & chips",
    )


# -- hostile and broken feeds ----------------------------------------------------------------------


def test_billion_laughs_does_not_expand(feed: FetchAndParse) -> None:
    parsed, seconds, peak = _measured(lambda: feed("billion_laughs.xml"))
    assert seconds < 2 and peak < 20 << 20
    assert "lollol" not in texts(parsed)


def test_quadratic_blowup_does_not_expand(feed: FetchAndParse) -> None:
    # One "safe" 100 kB entity used 20,000 times: 2 GB if expanded; feedparser alone would.
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"A" * 100_000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>Q</title><item><title>'
        + b"&a;" * 20_000
        + b"</title><link>http://quadratic.example/1</link></item>\x01</channel></rss>"
    )
    parsed, seconds, peak = _measured(lambda: feed("quadratic.xml", body=body))
    assert seconds < 10 and peak < 100 << 20
    assert "AAAA" not in texts(parsed)


def test_feedparser_alone_would_expand_declared_entities() -> None:
    # Why the DTD is cut out before feedparser sees it: a small, safe version of the attack.
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"A" * 1000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>Q</title><item><title>'
        + b"&a;" * 100
        + b"</title><link>http://quadratic.example/1</link></item></channel></rss>"
    )
    assert len(feedparser.parse(io.BytesIO(body)).entries[0].title) == 100_000
    assert "AAAA" not in parse_feed(body, {}, "http://quadratic.example/feed").items[0].title


def test_feeds_are_read_by_expat_whatever_modules_the_path_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # feedparser asks for a SAX driver named drv_libxml2 before expat's; one installed must not
    # read feeds instead of the parser the entity handling is made for.
    driver = types.ModuleType("drv_libxml2")

    def create_parser() -> None:
        raise AssertionError("drv_libxml2 was asked for a parser")

    driver.create_parser = create_parser  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "drv_libxml2", driver)
    body = (FEEDS / "rss20.xml").read_bytes()
    assert parse_feed(body, {}, "http://expat.example/feed").items


def test_external_entities_are_not_fetched(served: tuple[FeedServer, FetchAndParse]) -> None:
    server, feed = served
    parsed = feed("xxe.xml")
    assert "root:" not in texts(parsed)
    remote = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
        f'<!ENTITY % dtd SYSTEM "{server.url("/evil.dtd")}">\n%dtd;\n'
        f'<!ENTITY body SYSTEM "{server.url("/secret")}">\n]>\n'
        f'<rss version="2.0"><channel><title>X</title><item><title>t</title>'
        f"<link>http://xxe.example/2</link><description>&body;</description></item>"
        f"</channel></rss>"
    ).encode()
    feed("remote-xxe.xml", body=remote)
    assert [seen.path for seen in server.requests] == ["/xxe.xml", "/remote-xxe.xml"]


PARAMETER_LAUGHS = "".join(
    f'<!ENTITY % p{n} "{f"%p{n - 1};" * 10}">' for n in range(1, 10)
)  # a parameter-entity bomb: not even well-formed in an internal subset


@pytest.mark.parametrize(
    "prolog",
    [
        b'<?xml version="1.0"?>\x01<!DOCTYPE rss [<!ENTITY a "x">]>',
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p0 "x">'
        + PARAMETER_LAUGHS.encode()
        + b"%p9;]>",
    ],
)
def test_entities_in_a_prolog_that_cannot_be_checked_are_refused(prolog: bytes) -> None:
    body = prolog + b'<rss version="2.0"><channel><item><title>&a;</title></item></channel></rss>'
    started = time.monotonic()
    with pytest.raises(FeedParseError, match="declares XML entities"):
        parse_feed(body, {}, "http://odd.example/feed")
    assert time.monotonic() - started < 1


def test_html_page_served_as_a_feed_is_a_clear_error(feed: FetchAndParse) -> None:
    with pytest.raises(FeedParseError, match="HTML page") as caught:
        feed("html_page.html", "text/html")
    assert caught.value.reason == "malformed"


def test_truncated_feed_gives_the_items_before_the_cut(feed: FetchAndParse) -> None:
    parsed = feed("truncated.xml")
    assert [item.title for item in parsed.items[:3]] == ["Story 1", "Story 2", "Story 3"]
    assert parsed.warning is not None


def test_feed_cut_before_any_item_is_malformed(feed: FetchAndParse) -> None:
    body = (FEEDS / "truncated.xml").read_bytes()[:80]
    with pytest.raises(FeedParseError, match="no items"):
        feed("cut.xml", body=body)


def test_control_characters_give_items_without_them(feed: FetchAndParse) -> None:
    parsed = feed("control_chars.xml")
    assert [item.title for item in parsed.items] == ["Bell rings", "Second"]
    assert parsed.title == "Noisy feed" and parsed.warning is not None
    assert not any(ord(char) < 32 and char != "\n" for char in texts(parsed))


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("latin1_declared_utf8.xml", "application/xml; charset=utf-8"),
        ("utf8_declared_latin1.xml", "text/xml; charset=iso-8859-1"),
        ("utf8_declared_latin1.xml", "application/rss+xml"),
    ],
)
def test_wrong_declared_charset_still_reads_right(
    feed: FetchAndParse, name: str, content_type: str
) -> None:
    parsed = feed(name, content_type)
    assert parsed.title == "Café Zeitung"
    assert parsed.items[0].title == "Grüße aus Köln"
    assert parsed.items[0].body.startswith("Schöne Grüße")


@pytest.mark.parametrize(
    ("encoding", "title", "text"),
    [
        ("koi8-r", "Новости", "Президент провёл переговоры в Москве. Переговоры продолжаются."),
        ("windows-1251", "Новини", "Президентът проведе разговори в София днес."),
        ("shift_jis", "ニュース", "大統領は火曜日に大臣と会談した。交渉は続いている。"),
        ("iso-8859-2", "Wiadomości", "Prezydent spotkał się z ministrem w Łodzi. Rozmowy trwają."),
    ],
    ids=["koi8-r", "windows-1251", "shift_jis", "iso-8859-2"],
)
def test_a_feed_that_declares_no_charset_is_read_in_the_one_its_bytes_are(
    feed: FetchAndParse, encoding: str, title: str, text: str
) -> None:
    # Neither the XML declaration nor Content-Type names it: XML's default, UTF-8, fails, and
    # the bytes tell the charset (windows-1252 for all, before: mojibake).
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><item>'
        f"<title>{text[:30]}</title><link>http://site.example/1</link>"
        f"<description>{text}</description></item></channel></rss>"
    ).encode(encoding)
    parsed = feed(f"{encoding}.xml", "application/rss+xml", body)
    assert parsed.title == title
    assert parsed.items[0].body == text


def test_utf16_feed(feed: FetchAndParse) -> None:
    text = (FEEDS / "rss20.xml").read_text().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    parsed = feed("utf16.xml", "application/rss+xml", text.encode("utf-16"))
    assert parsed.title == "Riverside Daily" and len(parsed.items) == 3


@pytest.mark.parametrize("charset", ["utf-16", "utf-16be", "cp037"])
def test_an_ascii_feed_that_declares_another_charset_is_read(
    feed: FetchAndParse, charset: str
) -> None:
    body = (FEEDS / "rss20.xml").read_bytes()
    assert body.isascii()
    parsed = feed(f"{charset}.xml", f"application/rss+xml; charset={charset}", body)
    assert parsed.title == "Riverside Daily" and len(parsed.items) == 3


def test_utf16_without_a_byte_order_mark_is_read_as_declared(feed: FetchAndParse) -> None:
    text = (FEEDS / "rss20.xml").read_text().replace('encoding="UTF-8"', 'encoding="UTF-16LE"')
    body = text.encode("utf-16-le")  # every ASCII character with a NUL: ASCII, valid UTF-8
    parsed = feed("utf16le.xml", "application/rss+xml; charset=utf-16le", body)
    assert parsed.title == "Riverside Daily" and len(parsed.items) == 3


def test_a_summary_that_repeats_the_content_is_made_text_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    markup = "&lt;p&gt;Full &lt;b&gt;text&lt;/b&gt;&lt;/p&gt;"
    body = (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>F</title><item><title>T</title><link>http://site.example/1</link>"
        f"<description>{markup}</description><content:encoded>{markup}</content:encoded>"
        "</item></channel></rss>"
    ).encode()
    calls: list[str] = []

    def counted(markup: str) -> str:
        calls.append(markup)
        return html_to_text(markup)

    monkeypatch.setattr(parse, "html_to_text", counted)
    (item,) = parse_feed(body, {"Content-Type": RSS_TYPE}, "http://site.example/feed").items
    assert (item.summary, item.body) == ("Full text", "Full text")
    assert calls == ["<p>Full <b>text</b></p>"]


@pytest.mark.parametrize("body", [b"", b"  \n", b"/etc/passwd", b"not xml at all"])
def test_bodies_that_hold_no_feed_are_malformed(body: bytes) -> None:
    # A body that looks like a path is never opened as a file (feedparser would, given bytes).
    with pytest.raises(FeedParseError):
        parse_feed(body, {"Content-Type": RSS_TYPE}, "http://odd.example/feed")


def _measured(work: Callable[[], ParsedFeed]) -> tuple[ParsedFeed, float, int]:
    """The result of `work`, the seconds it took and its peak of traced memory."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = work()
        return result, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_item_the_parser_fails_on_is_skipped_and_the_others_read() -> None:
    zero_date, good = rss(
        "<item><title>Zero</title><pubDate>0000-00-00 00:00:00</pubDate></item>"
        "<item><title>Good</title><pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item>"
    ).items  # MySQL's zero date, which feedparser reads as year -1
    assert (zero_date.title, zero_date.published_at) == ("Zero", None)
    assert good.published_at == utc(2026, 12, 1, 10, 0)


def test_a_failure_reading_one_item_skips_that_item_not_the_feed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_date = parse._xml_date

    def failing_on_boom(entry: dict[str, Any], key: str) -> datetime | None:
        if entry.get("title") == "Boom":
            raise OverflowError("a corner of a parser no test found yet")
        return read_date(entry, key)

    monkeypatch.setattr(parse, "_xml_date", failing_on_boom)
    parsed = rss("<item><title>Boom</title></item><item><title>Fine</title></item>")
    assert [item.title for item in parsed.items] == ["Fine"]
    (skipped,) = parsed.skipped
    assert skipped.reason == "invalid_item" and "OverflowError" in skipped.detail


@pytest.mark.parametrize(
    ("date", "published"),
    [
        ("2024-13-45T99:00:00Z", None),  # feedparser rolls it over into 2025
        ("1709632800", None),  # a Unix time, which feedparser reads as a year and a day
        ("2024-03-05T10:00:00 GMT", utc(2024, 3, 5, 10, 0)),  # odd, but a real date
        ("2024-03-05T10:00:00+01", utc(2024, 3, 5, 9, 0)),
    ],
)
def test_a_date_feedparser_would_read_as_another_is_not_taken(
    date: str, published: datetime | None
) -> None:
    (item,) = rss(
        '<item xmlns:dc="http://purl.org/dc/elements/1.1/"><title>T</title>'
        f"<dc:date>{date}</dc:date></item>"
    ).items
    assert (item.published_at, item.published_at_inferred) == (published, published is None)


def _rss_items(count: int) -> str:
    return "".join(f"<item><title>Story {n}</title><guid>{n}</guid></item>" for n in range(count))


def test_a_feed_is_read_to_its_first_items_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_ITEMS", 100)
    # A body of 50,000 tiny items: feedparser would take seconds and hundreds of megabytes.
    body = f'<rss version="2.0"><channel><title>Big</title>{_rss_items(50_000)}</channel></rss>'
    parsed = parse_feed(body.encode(), {}, "https://big.example/feed")
    assert [item.title for item in parsed.items] == [f"Story {n}" for n in range(100)]
    assert parsed.unread == 49_900
    assert parsed.warning is None  # the cut document is closed as the whole one was: no best-effort


def test_rss_1_and_prefixed_atom_are_cut_after_their_first_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parse, "MAX_ITEMS", 2)
    rdf = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://r.example/">'
        "<title>R</title><link>https://r.example/</link><items><rdf:Seq/></items></channel>"
        + "".join(
            f'<item rdf:about="https://r.example/{n}"><title>R{n}</title>'
            f"<link>https://r.example/{n}</link></item>"
            for n in range(5)
        )
        + "</rdf:RDF>"
    )
    atom = (
        '<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>A</a:title>'
        + "".join(
            f"<a:entry><a:id>urn:a:{n}</a:id><a:title>A{n}</a:title></a:entry>" for n in range(4)
        )
        + "</a:feed>"
    )
    for body, titles, unread in ((rdf, ["R0", "R1"], 3), (atom, ["A0", "A1"], 2)):
        parsed = parse_feed(body.encode(), {}, "https://r.example/feed")
        assert ([item.title for item in parsed.items], parsed.unread) == (titles, unread)
        assert parsed.warning is None


def test_a_json_feed_is_read_to_its_first_items_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_ITEMS", 3)
    items = [{"id": str(n), "title": f"J{n}", "content_text": "x"} for n in range(10)]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}
    parsed = parse_feed(json.dumps(feed).encode(), {}, "https://j.example/feed.json")
    assert ([item.title for item in parsed.items], parsed.unread) == (["J0", "J1", "J2"], 7)


def test_json_feed_body_is_the_fuller_text_and_links_and_types_must_be_strings() -> None:
    fuller_html, fuller_text, numbers = json_feed(
        items=[
            {
                "id": "1",
                "content_html": "<p>The full text, with <b>much</b> more.</p><p>And more.</p>",
                "content_text": "An excerpt.",
            },
            {"id": "2", "content_html": "<p>Short.</p>", "content_text": "The longer plain text."},
            {
                "id": "3",
                "title": "Numbers",
                "url": 5,
                "attachments": [{"url": "https://j.example/a.mp3", "mime_type": 5}],
            },
        ]
    ).items
    assert fuller_html.body == "The full text, with much more.\n\nAnd more."
    assert fuller_text.body == "The longer plain text."
    assert numbers.url is None  # not "https://j.example/5"
    assert numbers.enclosures == [Enclosure(url="https://j.example/a.mp3")]


def test_json_feed_language_falls_back_on_the_response_s() -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "title": "T"}]}
    parsed = parse_feed(
        json.dumps(feed).encode(), {"Content-Language": "de"}, "https://j.example/f"
    )
    assert (parsed.language, parsed.items[0].language) == ("de", "de")


def atom(entries: str, version: str = "http://www.w3.org/2005/Atom") -> ParsedFeed:
    body = f'<feed xmlns="{version}"><title>A</title><author><name>Desk</name></author>{entries}'
    return parse_feed(f"{body}</feed>".encode(), {}, "https://a.example/feed")


def test_atom_links_authors_and_enclosures_as_the_spec_means_them() -> None:
    translated, copied, document = atom(
        "<entry><id>urn:1</id><title>One</title><updated>2026-01-01T00:00:00Z</updated>"
        '<link href="https://a.example/1"/>'
        '<link rel="alternate" hreflang="es" type="text/html" href="https://a.example/es/1"/>'
        '<link rel="enclosure" href="https://a.example/1.mp3"/></entry>'
        "<entry><id>urn:2</id><title>Two</title><updated>2026-01-01T00:00:00Z</updated>"
        "<source><id>urn:orig</id><author><name>Original Writer</name></author></source></entry>"
        "<entry><id>urn:3</id><title>Three</title><updated>2026-01-01T00:00:00Z</updated>"
        '<link rel="alternate" type="application/pdf" href="https://a.example/3.pdf"/></entry>'
    ).items
    assert translated.url == "https://a.example/1"  # the first alternate, not the translation
    assert translated.enclosures == [Enclosure(url="https://a.example/1.mp3")]  # no type given
    assert (translated.authors, copied.authors) == (["Desk"], ["Original Writer"])
    assert document.url == "https://a.example/3.pdf"


def test_atom_03_created_dates_an_entry_without_issued() -> None:
    (entry,) = atom(
        "<entry><id>x</id><title>T</title><created>2026-01-01T08:00:00Z</created></entry>",
        "http://purl.org/atom/ns#",
    ).items
    assert (entry.published_at, entry.published_at_inferred) == (utc(2026, 1, 1, 8, 0), False)


def test_an_iso_date_in_the_basic_form_keeps_its_time_of_day() -> None:
    (entry,) = atom(
        "<entry><id>x</id><title>T</title><updated>20260610T040000Z</updated></entry>"
    ).items
    assert entry.published_at == utc(2026, 6, 10, 4, 0)  # feedparser gives midnight


def test_authors_and_categories_written_as_html_are_read_as_html() -> None:
    (item,) = rss(
        '<item xmlns:dc="http://purl.org/dc/elements/1.1/"><title>T</title>'
        '<dc:creator><![CDATA[<a href="https://s.example/ann">Ann Example</a>]]></dc:creator>'
        "<category><![CDATA[<p>Sport</p>]]></category><category>5 &lt; 6</category></item>"
    ).items
    assert (item.authors, item.categories) == (["Ann Example"], ["Sport", "5 < 6"])


def test_a_json_feed_with_odd_values_keeps_its_items() -> None:
    feed = {
        "version": "1.1",  # the number alone, where the spec wants the URL
        "title": 5,
        "home_page_url": 5,
        "language": 5,
        "authors": [None, {"name": "Desk"}],
        "items": [
            {"id": "a", "content_text": "One.", "authors": [{"name": "Ann"}, None, 7]},
            {"id": "b", "content_text": "Two.", "author": 5},
            {"id": "c", "content_text": "Three.", "authors": {"name": "Bo"}},
        ],
    }
    parsed = parse_feed(json.dumps(feed).encode(), {}, "https://j.example/feed.json")
    assert (parsed.title, parsed.language) == (None, None)
    assert [item.authors for item in parsed.items] == [["Ann"], ["Desk"], ["Bo"]]

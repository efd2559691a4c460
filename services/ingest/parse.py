"""Parses a fetched body into drafts: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 through feedparser, JSON
Feed 1.0/1.1 through pydantic (feedparser 6.0 does not read JSON Feed). The format is told by the
body itself, not by a Content-Type that servers often get wrong.

feedparser is given the bytes as a stream, never a string, which it might open as a file name or
fetch as a URL, and the response headers, so that it picks the declared charset. A body that is
valid UTF-8 is read as UTF-8 whatever it declares: a misdeclared latin-1 is by far the common
mistake, and UTF-8 text that is not really UTF-8 practically does not occur.

Entities never expand. feedparser keeps the DTD entities it deems safe, and then expands them in
its fallback parser without a limit: one 100 kB entity used 20,000 times makes gigabytes. So the
DTD's internal subset, the only place a feed can declare entities, is cut out first; a feed whose
prolog cannot be checked and that holds `<!ENTITY` anyway is refused.

A feed that is broken but has items gives what could be read (`warning` says what was wrong); one
with nothing usable raises `FeedParseError`.
"""

import html
import io
import re
from calendar import timegm
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import getaddresses, parsedate_to_datetime
from itertools import islice
from typing import Annotated, Any, TypeVar
from urllib.parse import urljoin, urlsplit
from xml.parsers import expat

import feedparser
import pydantic
from feedparser.datetimes.rfc822 import day_names, timezone_names
from pydantic import BaseModel, BeforeValidator, ConfigDict

from newswire.errors import FeedParseError
from newswire.text import cut_at_word
from schemas import SourceKind, language_code
from services.ingest import feedparser_speedups  # noqa: F401  # importing it is what it takes
from services.ingest.identity import canonical_url, is_plain_http_url
from services.ingest.normalize import ArticleDraft, Enclosure
from services.ingest.sanitize import html_to_text, plain_text
from services.ingest.zones import utc_offset

# How `<!DOCTYPE` and `<!ENTITY` look in every encoding feedparser can detect.
_ENCODINGS = ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")
_DOCTYPE_MARKS = tuple("<!DOCTYPE".encode(encoding) for encoding in _ENCODINGS)
_ENTITY_MARKS = tuple("<!ENTITY".encode(encoding) for encoding in _ENCODINGS)
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_PAGE_TYPES = _HTML_TYPES | {None, ""}  # a link without a type is to a page
# Problems with the charset or the Content-Type alone do not make an empty feed broken.
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_TITLE_LENGTH = 100
_UTF8_BOM = b"\xef\xbb\xbf"
# Zone names that feedparser's RFC 822 reader turns into the right offset; "utc" it reads as UTC
# only because it reads every name it does not know so.
_KNOWN_ZONES = frozenset({*timezone_names, "utc"})
_DAY_NAMES = frozenset(day_names)
# feedparser's dicts answer `get` through key aliases and fallbacks (`updated` gives `published`
# when missing), raising and catching a KeyError for each key that is missing: several times
# slower than a plain dict, for every field of every item. Fields are read as stored instead.
_get = dict.get
# feedparser asks first for a SAX driver named drv_libxml2, and an import that fails is not
# cached: a search of the whole module path for every feed. And the parser the entity handling
# above is made for is expat's: a module of that name on the path must not change it.
feedparser.api.PREFERRED_XML_PARSERS = ["xml.sax.expatreader"]


def _kept_apart(key: str) -> tuple[Callable[[Any, dict[str, str]], None], Callable[[Any], None]]:
    """feedparser's handlers for an element that keep its text under `key`, as a text construct
    (`<key>_detail`) of its own."""

    def start(parser: Any, attrs: dict[str, str]) -> None:
        parser.push_content(key, attrs, "text/plain", 1)

    def end(parser: Any) -> None:
        parser.pop_content(key)

    return start, end


# feedparser takes a podcast's itunes:summary and a picture's or video's media:description for
# the item's description: the first of them is the summary, a second one content, and one after
# the content replaces the summary. Kept apart, each is read as what it is (`_summary_detail`).
_ITUNES, _MEDIA = feedparser.namespaces.itunes.Namespace, feedparser.namespaces.mediarss.Namespace
_ITUNES._start_itunes_summary, _ITUNES._end_itunes_summary = _kept_apart("itunes_summary")
_MEDIA._start_media_description, _MEDIA._end_media_description = _kept_apart("media_description")


# Items read from one document at most (feeds list their newest first); this bounds the work of a
# poll (a 15 MiB body of 450,000 tiny items took feedparser 32 s of CPU and 1.1 GB, while the
# other feeds' reads waited) and the windows, and so the size of the feed's state record: 40
# bytes an item, about 540 KB at this many once base64-coded, under the 1 MiB a Kafka record may
# have by default. Archive feeds carry thousands of items.
MAX_ITEMS = 10_000
# Where an RSS item or Atom entry starts, or ends (`</item>`, `</rss:item>`), as bytes in the
# encodings feeds use but UTF-16 and UTF-32.
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_ITEM_ENDS = (b"/item>", b":item>", b"/entry>", b":entry>")


@dataclass(frozen=True, slots=True)
class SkippedItem:
    """An item that gave no draft, and why: `empty_item` (no title, link or text) or
    `invalid_item` (a JSON Feed item not of the spec's shape)."""

    reason: str
    detail: str


_EMPTY_ITEM = SkippedItem("empty_item", "no title, link or text")


@dataclass(frozen=True, slots=True)
class _Inherited:
    """What a feed gives its items that do not say it themselves."""

    base: str  # the URL relative links are read against
    language: str | None
    authors: list[str | None]  # Atom and JSON Feed only: RSS has no feed-level article author


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    kind: SourceKind
    title: str | None
    site: str | None  # host of the site the feed belongs to
    ttl: float | None  # seconds, from RSS `<ttl>`
    language: str | None
    items: list[ArticleDraft]
    skipped: tuple[SkippedItem, ...] = ()
    warning: str | None = None  # why the parse was best-effort, when it was
    unread: int = 0  # items beyond `MAX_ITEMS`, left unread


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """The feed in `body`, fetched from `url` with `headers`.

    Relative links are read against the site's link when the feed gives one, else against `url`:
    feeds that use relative links mean their site.
    """
    start = body.lstrip(_UTF8_BOM + b" \t\r\n")[:1]
    if not start:
        raise FeedParseError(url, "empty body")
    if start in (b"{", b"["):
        return _parse_json_feed(body, headers, url)
    return _parse_xml_feed(body, headers, url)


# -- RSS and Atom ---------------------------------------------------------------------------------


def _parse_xml_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    safe, unread = _first_items(_without_internal_subset(body, url), MAX_ITEMS)
    try:
        result = feedparser.parse(
            io.BytesIO(safe),
            response_headers=_response_headers(body, headers),
            sanitize_html=False,  # everything becomes plain text, which is safer than sanitizing
            resolve_relative_uris=False,  # links inside HTML do not survive plain text anyway
        )
    except Exception as exc:
        # feedparser is a large pure-Python parser fed hostile bytes: whatever fails inside it is
        # this feed's parse error, never the service's.
        raise FeedParseError(url, f"feedparser failed: {type(exc).__name__}: {exc}") from exc
    problem = result.get("bozo_exception") if result.bozo else None
    if not result.entries:
        if not result.version:
            what = "an HTML page" if b"<html" in body[:2048].lower() else "no feed found"
            raise FeedParseError(url, f"{what}: not RSS, Atom or JSON Feed")
        if problem is not None and not isinstance(problem, _HARMLESS):
            raise FeedParseError(url, f"no items could be read: {_describe(problem)}")
    feed = result.feed
    language = language_code(_get(feed, "language")) or _header_language(headers)
    base = _http_url(_get(feed, "link"), url) or url
    atom = result.version.startswith("atom")
    inherited = _Inherited(base, language, _xml_authors(feed) if atom else [])
    read = [_guarded(_xml_item, entry, inherited) for entry in result.entries]
    items, skipped = _sorted_out(read)
    return ParsedFeed(
        kind=SourceKind.ATOM if atom else SourceKind.RSS,
        title=_detail_text(_get(feed, "title_detail")) or None,
        site=_host(base),
        ttl=_ttl(_get(feed, "ttl")),
        language=language,
        items=items,
        skipped=skipped,
        warning=_describe(problem) if problem is not None else None,
        unread=unread,
    )


def _first_items(body: bytes, limit: int) -> tuple[bytes, int]:
    """`body` with its first `limit` items only, closed as the document was closed, and how many
    items were cut off. The cut is made on the bytes, before any parse: the items start
    where `_ITEM_START` finds them, and what follows the last item's end tag (`</channel></rss>`)
    closes the document again. A `<` in a CDATA section that looks like an item may move the cut
    earlier, and a cut that breaks the document leaves feedparser a best-effort read."""
    if body.count(b"<") <= limit or b"\x00" in body:  # an item takes a tag; NULs: UTF-16 or 32
        return body, 0
    starts = _ITEM_START.finditer(body)
    cut = next(islice(starts, limit, None), None)
    if cut is None:
        return body, 0
    unread = 1 + sum(1 for _ in starts)
    ends = [found + len(mark) for mark in _ITEM_ENDS if (found := body.rfind(mark)) >= 0]
    end = max(ends, default=0)
    return body[: cut.start()] + (body[end:] if end > cut.start() else b""), unread


def _xml_item(entry: dict[str, Any], inherited: _Inherited) -> ArticleDraft | SkippedItem:
    contents = _get(entry, "content") or []
    details = [*contents, _summary_detail(entry), _get(entry, "title_detail")]
    *texts, summary, title = _detail_texts(details)
    body = max([*texts, summary], key=len)  # a content shorter than the description is a teaser
    # Atom 0.3's `created` is the last resort for when an entry was first published.
    published = _xml_date(entry, "published") or _xml_date(entry, "created")
    updated = _xml_date(entry, "updated")
    # The item's own dc:language, then the xml:lang of its texts, then the feed's.
    languages = [
        _get(entry, "language"),
        *(_get(detail, "language") for detail in details if detail),
    ]
    return _draft(
        guid=_get(entry, "id"),
        title=title,
        summary=summary,
        body=body,
        link=_xml_link(entry, inherited.base),
        # Atom: an entry without authors has those of the feed it was copied from, if it says.
        authors=_xml_authors(entry)
        or _xml_authors(_get(entry, "source") or {})
        or inherited.authors,
        # An Atom category's label is for people, its term may be a URI; RSS has only the term.
        categories=[_get(tag, "label") or _get(tag, "term") for tag in _get(entry, "tags", [])],
        language=next((code for code in map(language_code, languages) if code), inherited.language),
        published=published,
        updated=updated,
        enclosures=_xml_enclosures(entry),
        base=inherited.base,
    )


def _summary_detail(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The item's description, else what stands in for one: a podcast's itunes:summary, a
    video's media:description (all a YouTube feed gives)."""
    for key in ("summary_detail", "itunes_summary_detail", "media_description_detail"):
        detail: dict[str, Any] | None = _get(entry, key)
        if detail and _get(detail, "value"):
            return detail
    return None


def _xml_enclosures(entry: dict[str, Any]) -> list[tuple[object, object, object]]:
    """RSS enclosures and Atom enclosure links, then Media RSS content and thumbnails (how most
    news sites attach their pictures)."""
    # feedparser's own get for `enclosures`: it is not stored, it is made of the links. It gives
    # an Atom link without a type `text/html`, which no attached file is.
    return [
        *(
            (_get(file, "href"), _file_type(_get(file, "type")), _get(file, "length"))
            for file in entry.get("enclosures", [])
        ),
        *(
            (_get(file, "url"), _get(file, "type"), _get(file, "filesize"))
            for file in _get(entry, "media_content") or []
        ),
        *((_get(file, "url"), None, None) for file in _get(entry, "media_thumbnail") or []),
    ]


def _file_type(kind: object) -> object:
    return None if kind == "text/html" else kind


def _xml_link(entry: dict[str, Any], base: str) -> str | None:
    """The item's link. feedparser makes an RSS GUID the link of an item without one unless the
    GUID says isPermaLink="false"; many GUIDs are no URL ("2", a UUID) and would be joined to the
    site's address into a page that does not exist, so a link taken from the GUID must be a URL.
    An empty `<link></link>` stops feedparser from doing so; a GUID that is a URL still serves."""
    link, guid = _alternate_link(entry), _get(entry, "id")
    if _get(entry, "guidislink") and link == guid and not _is_absolute(link):
        return None
    return _http_url(link, base) or _url_of_id(guid, base)


def _alternate_link(entry: dict[str, Any]) -> object:
    """The item's first alternate link, the first to a web page if any is: feedparser keeps the
    last, so a translation listed after the original (`hreflang="es"`) became the item's URL,
    and its id. A link to another kind of page (a PDF) serves when there is no other."""
    alternates = [
        link
        for link in _get(entry, "links") or []
        if _get(link, "rel", "alternate") == "alternate" and _get(link, "href")
    ]
    pages = [link for link in alternates if _get(link, "type") in _PAGE_TYPES]
    chosen = (pages or alternates)[:1]
    return _get(chosen[0], "href") if chosen else _get(entry, "link")


def _xml_authors(element: dict[str, Any]) -> list[str | None]:
    """The authors of an item, or of a whole feed."""
    details = _get(element, "authors") or []
    raw = _get(element, "author") or ""
    if len(details) <= 1 and "@" in raw.partition(" ")[0]:
        # RSS's "mail@host (Name)", one or several, which feedparser splits with a pattern that
        # cuts top-level domains longer than four letters ("a@x.online" gives the name "ne") and
        # reads as one author; the standard library's address parser does neither. (Atom's name
        # and email come apart already.)
        return [name or address for name, address in getaddresses([raw]) if name or address]
    return [_get(author, "name") or _get(author, "email") for author in details]


def _detail_texts(details: list[dict[str, Any] | None]) -> list[str]:
    """`_detail_text` of each; a markup given twice, as a summary that repeats the content, is
    made plain text once."""
    done: dict[tuple[object, object], str] = {}
    texts = []
    for detail in details:
        if not detail:
            texts.append("")
            continue
        key = (_get(detail, "type"), _get(detail, "value"))
        if key not in done:
            done[key] = _detail_text(detail)
        texts.append(done[key])
    return texts


def _detail_text(detail: dict[str, Any] | None) -> str:
    """The plain text of one of feedparser's text constructs (title, summary, content)."""
    if not detail or not _get(detail, "value"):
        return ""
    value = str(detail["value"])
    return html_to_text(value) if _get(detail, "type") in _HTML_TYPES else plain_text(value)


def _xml_date(entry: dict[str, Any], key: str) -> datetime | None:
    """feedparser's reading of a date, in UTC; None for a time of unknown zone.

    An ISO 8601 date is read as `_iso_date` reads it: feedparser reads one without an offset as
    UTC, and drops the time of day of the basic form ("20030610T040000Z"). feedparser already
    refuses RFC 822 dates without a zone, but reads ones with a zone name it does not know
    ("CET", "JST", "Europe/Berlin") as UTC, hours off: those are moved by the offset the name
    stands for (`zones.utc_offset`), or turned down when it stands for none or several.
    """
    # As stored: feedparser's own get would answer `updated` with `published` when missing.
    parsed = _get(entry, f"{key}_parsed")
    text = _get(entry, key, "")
    if text.lstrip()[:4].isdigit():  # a year first; most feeds' dates are RFC 822 ones
        try:
            return _iso_date(text)
        except ValueError:
            pass  # not ISO 8601 after all
    if parsed is None:
        return _rfc822_date(text) if text else None
    if _is_impossible(text):
        return None
    try:
        moment = datetime.fromtimestamp(timegm(parsed), UTC)
    except (ValueError, OverflowError, OSError):  # MySQL's "0000-00-00 00:00:00" is year -1
        return None
    zone = _unknown_zone_name(text)
    if zone is None:
        return moment
    return _in_zone(moment.replace(tzinfo=None), zone)  # the clock time the feed wrote


def _rfc822_date(text: str) -> datetime | None:
    """An RFC 822 date feedparser does not read, with its weekday in another language ("Sex, 03
    Jan 2025 23:47:02 -0300"), or given where RFC 3339 is due; a zone name ("CET") is read as
    `_xml_date` reads it. None without a zone it knows."""
    try:
        moment = parsedate_to_datetime(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    zone = text.split()[-1]  # a name the standard library does not know ("CET"), if any
    return _in_zone(moment, zone) if zone[:1].isalpha() else None


def _in_zone(clock: datetime, zone: str) -> datetime | None:
    """The instant, in UTC, of a clock time (naive) in the zone a name stands for; None when it
    stands for none or several (`zones.utc_offset`)."""
    offset = utc_offset(zone, clock)
    return None if offset is None else (clock - offset).replace(tzinfo=UTC)


_TWELVE_HOUR = re.compile(r"\d\s*[AP]\.?M\b", re.IGNORECASE)  # "4:00:00 PM": read as 04:00
_ISO_PARTS = re.compile(r"\s*(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?)?")


def _is_impossible(text: str) -> bool:
    """A date feedparser reads into another one: a number (a Unix time it takes for a year and
    a day), a 12-hour time ("4:00:00 PM", which it reads as 04:00) or an ISO date out of range
    ("2024-13-45T99:00" rolls over into the next year)."""
    if text.strip().isdigit() or _TWELVE_HOUR.search(text):
        return True
    parts = _ISO_PARTS.match(text)
    if parts is None:
        return False
    day, hour, minute, second = parts.groups()
    try:
        date.fromisoformat(day)
    except ValueError:
        return True
    return hour is not None and (int(hour) > 24 or int(minute) > 59 or int(second or 0) > 60)


def _iso_date(text: str) -> datetime | None:
    """An ISO 8601 date (RFC 3339, W3C-DTF, the basic form) in UTC, to the second as feedparser
    reads the others (a `dc:date` a fraction of a second after the item's `pubDate` is no
    update); None without an offset, which is not guessed. ValueError when `text` is no ISO
    8601 date."""
    moment = datetime.fromisoformat(text.strip().upper())  # RFC 3339 allows "t" and "z"
    return moment.astimezone(UTC).replace(microsecond=0) if moment.tzinfo else None


def _unknown_zone_name(text: str) -> str | None:
    """The zone of an RFC 822 date in `text`, as written, when it is a name feedparser does not
    know. The zone is the fifth field after the day name, as feedparser's RFC 822 reader splits
    it."""
    fields = text.split()
    if fields and fields[0][:3].lower() in _DAY_NAMES:
        fields = fields[1:]
    if len(fields) != 5:
        return None
    zone = fields[4].lower().removeprefix("etc/")
    known = not zone[:1].isalpha() or zone.startswith("gmt") or zone in _KNOWN_ZONES
    return None if known else fields[4]


def _response_headers(body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
    """What feedparser needs of the response: its charset. No Content-Location: feedparser
    leaves relative links relative, and `_http_url` resolves them. No Content-Language:
    feedparser would give it to every text as its language, above the feed's own `<language>`
    and the item's; it is read last (`_header_language`)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    chosen = {}
    # Valid UTF-8 is read as UTF-8, ASCII too (a charset of `utf-16` or `cp037` made it
    # unreadable), but not with NULs: that is UTF-16 or UTF-32 without a byte order mark.
    if b"\x00" not in body and (body.isascii() or _is_utf8(body)):
        chosen["content-type"] = "application/xml; charset=utf-8"
    elif "content-type" in lowered:
        chosen["content-type"] = lowered["content-type"]
    return chosen


def _header_language(headers: Mapping[str, str]) -> str | None:
    """The response's Content-Language, when it names one language."""
    value = next(
        (value for name, value in headers.items() if name.lower() == "content-language"), None
    )
    return language_code(value) if value and "," not in value else None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _without_internal_subset(body: bytes, url: str) -> bytes:
    """`body` without its DTD's internal subset: `<!DOCTYPE rss [...]>` turns `<!DOCTYPE rss >`."""
    if not any(mark in body for mark in _DOCTYPE_MARKS):
        return body
    subset, checked = _internal_subset(body)
    if subset is not None:
        body = body[: subset[0]] + body[subset[1] :]
        subset, checked = _internal_subset(body)
    if checked and subset is None:
        return body
    if any(mark in body for mark in _ENTITY_MARKS):
        raise FeedParseError(url, "declares XML entities in a DTD that could not be checked")
    return body


class _PrologDone(Exception):  # noqa: N818 - it ends a scan that went well
    """Stops the prolog scan as soon as it knows the answer."""


def _internal_subset(body: bytes) -> tuple[tuple[int, int] | None, bool]:
    """Where the internal subset is (from its `[` to the `>` that closes the DOCTYPE), and whether
    the prolog could be read up to the root element or the DOCTYPE's end.

    expat reads the bytes as latin-1 (unless a byte-order mark says UTF-16): offsets are byte
    offsets, and in the encodings feeds use the characters that shape a prolog are ASCII anyway.
    Parsing stops at the end of the DOCTYPE or at the root element, before any content that could
    reference a general entity; parameter entities within the subset are bounded by expat's own
    amplification limit.
    """
    parser = expat.ParserCreate(encoding="iso-8859-1")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    found: list[int] = []

    def start_doctype(
        name: str, system_id: str | None, public_id: str | None, has_subset: bool
    ) -> None:
        if has_subset:
            found.append(parser.CurrentByteIndex)

    def end_doctype() -> None:
        if found:
            found.append(parser.CurrentByteIndex)
            raise _PrologDone

    def start_element(name: str, attributes: dict[str, str]) -> None:
        raise _PrologDone

    parser.StartDoctypeDeclHandler = start_doctype
    parser.EndDoctypeDeclHandler = end_doctype
    parser.StartElementHandler = start_element
    try:
        parser.Parse(body, True)
    except _PrologDone:
        return ((found[0], found[1]) if len(found) == 2 else None), True
    except expat.ExpatError:
        pass
    return None, False


# -- JSON Feed ------------------------------------------------------------------------------------


def _list_or_none(value: object) -> object:
    """A list of objects as generic JSON writers give it: `null` for an empty one, a lone object
    for a list of one. An entry that is neither an object nor a string (`null`, a number) is
    left out: one broken author is no reason to lose the item, or the feed."""
    if value is None:
        return []
    entries = value if isinstance(value, list) else [value]
    return [entry for entry in entries if isinstance(entry, dict | str)]


def _names(value: object) -> object:
    """Tags as the strings they are meant to be: one tag alone, numbers read as text, other
    values left out."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return value
    return [
        str(tag)
        for tag in value
        if isinstance(tag, str | int | float) and not isinstance(tag, bool)
    ]


_T = TypeVar("_T")
_List = Annotated[list[_T], BeforeValidator(_list_or_none)]


def _text_or_none(value: object) -> object:
    return value if isinstance(value, str) else None


# A string field given another type is none, not an error that loses the item or the feed;
# and a link given as a number is not read as a relative one ("5": a page that does not exist).
_OnlyText = Annotated[str | None, BeforeValidator(_text_or_none)]


def _author_object(value: object) -> object:
    """An author given as a bare name, as some JSON Feed writers do, is its name; one that is
    neither a name nor an object is none."""
    if isinstance(value, str):
        return {"name": value}
    return value if isinstance(value, dict) else None


class _JsonAuthor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None


_Author = Annotated[_JsonAuthor | None, BeforeValidator(_author_object)]


class _JsonAttachment(BaseModel):
    """An attachment, read as leniently as an RSS enclosure (`_enclosures`): one without a
    usable URL or size is no reason to lose its item."""

    model_config = ConfigDict(extra="ignore")

    url: object = None
    mime_type: _OnlyText = None
    size_in_bytes: object = None


class _JsonAuthored(BaseModel):
    model_config = ConfigDict(extra="ignore")

    author: _Author = None  # 1.0
    authors: _List[_Author] = []  # 1.1

    def author_names(self) -> list[str | None]:
        given = [author for author in self.authors if author is not None]
        if not given and self.author is not None:
            given = [self.author]
        return [author.name for author in given]


class _JsonItem(_JsonAuthored):
    # The spec says to read a numeric id as its string.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str | None = None
    url: _OnlyText = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    tags: Annotated[list[str], BeforeValidator(_names)] = []
    language: str | None = None
    attachments: _List[_JsonAttachment] = []


class _JsonFeed(_JsonAuthored):
    version: str
    # A feed-level value of the wrong type is none: the items are what matter.
    title: _OnlyText = None
    home_page_url: _OnlyText = None
    language: _OnlyText = None
    items: list[object]  # each validated alone, so one bad item does not sink the feed


_BARE_VERSION = re.compile(r"1(\.\d)?")


def _parse_json_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    try:
        feed = _JsonFeed.model_validate_json(body.removeprefix(_UTF8_BOM))
    except pydantic.ValidationError as exc:
        raise FeedParseError(url, f"not a JSON Feed: {exc.errors()[0]['msg']}") from exc
    # Some writers give the version's number alone ("1.1") where the spec wants its URL.
    if not (
        feed.version.startswith(("https://jsonfeed.org/version/", "http://jsonfeed.org/"))
        or _BARE_VERSION.fullmatch(feed.version)
    ):
        raise FeedParseError(url, f"JSON, but not a JSON Feed (version {feed.version[:80]!r})")
    language = language_code(feed.language) or _header_language(headers)
    base = _http_url(feed.home_page_url, url) or url
    inherited = _Inherited(base, language, feed.author_names())
    read = [_guarded(_json_item, item, inherited) for item in feed.items[:MAX_ITEMS]]
    items, skipped = _sorted_out(read)
    return ParsedFeed(
        kind=SourceKind.JSONFEED,
        title=_json_text(feed.title) or None,
        site=_host(base),
        ttl=None,
        language=language,
        items=items,
        skipped=skipped,
        unread=max(0, len(feed.items) - MAX_ITEMS),
    )


def _json_item(raw: object, inherited: _Inherited) -> ArticleDraft | SkippedItem:
    try:
        item = _JsonItem.model_validate(raw)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(map(str, error["loc"])) or "item"
        return SkippedItem("invalid_item", f"{where}: {error['msg']}")
    # The fuller of the two, as an RSS item's body is: some feeds give a full HTML text and a
    # plain-text excerpt.
    content = max(_json_text(item.content_text), html_to_text(item.content_html or ""), key=len)
    summary = _json_text(item.summary)
    return _draft(
        guid=item.id,
        title=_json_text(item.title),
        summary=summary,
        body=content or summary,
        # Not `external_url`: the page an item is about (a link post's target) is another
        # publisher's article, which would be taken for this one.
        link=_http_url(item.url, inherited.base) or _url_of_id(item.id, inherited.base),
        authors=item.author_names() or inherited.authors,
        categories=item.tags,
        language=language_code(item.language) or inherited.language,
        published=_json_date(item.date_published),
        updated=_json_date(item.date_modified),
        enclosures=[
            (attachment.url, attachment.mime_type, attachment.size_in_bytes)
            for attachment in item.attachments
        ],
        base=inherited.base,
    )


def _json_text(text: str | None) -> str:
    """A JSON Feed text field, which the spec says is plain text. Publishers' feeds (WordPress's
    above all) escape it as HTML anyway ("Here&#8217;s"); a literal "&#8217;" in a plain-text
    title is far rarer, so references are read."""
    if not text:
        return ""
    return plain_text(html.unescape(text) if "&" in text else text)


def _json_date(text: str | None) -> datetime | None:
    """An RFC 3339 date in UTC (or an RFC 822 one, which some publishers give instead); None
    when missing, unreadable or without an offset."""
    if not text:
        return None
    try:
        return _iso_date(text)
    except ValueError:
        return _rfc822_date(text)


# -- shared by both formats -----------------------------------------------------------------------


def _draft(
    *,
    guid: object,
    title: str,
    summary: str,
    body: str,
    link: str | None,
    authors: Iterable[object],
    categories: Iterable[object],
    language: str | None,
    published: datetime | None,
    updated: datetime | None,
    enclosures: Iterable[tuple[object, object, object]],
    base: str,
) -> ArticleDraft | SkippedItem:
    """The draft of one item, or why there is none: nothing to show (no title, link or text)."""
    title = title or _title_from(body or summary) or (link or "")
    if not title:
        return _EMPTY_ITEM
    published = published or updated
    return ArticleDraft(
        guid=None if guid is None else str(guid),
        title=title,
        summary=summary,
        body=body,
        url=link,
        authors=_labels(authors),
        categories=_labels(categories),
        language=language,
        published_at=published,
        # A feed's only date (RSS's dc:date, Atom's required <updated>) says when the item was
        # published, not that it changed since; nor does one before the publication.
        updated_at=updated if updated and published and updated > published else None,
        published_at_inferred=published is None,
        enclosures=_enclosures(enclosures, base),
    )


def _labels(values: Iterable[object]) -> list[str]:
    """Author names and categories as text on one line. feedparser leaves them as the feed has
    them, and publishers write them as HTML as they do titles: escaped ("O&#8217;Neil", "Tech
    &amp; Business" inside CDATA), references are read once, as for JSON Feed's text; marked up
    (`<a href="/author/ann">Ann</a>`, `<p>Sport</p>`), it is read as HTML."""
    labels = (_label(str(value)) for value in values if value)
    return [label for label in labels if label]


def _label(text: str) -> str:
    return " ".join((html_to_text(text) if "<" in text else html.unescape(text)).split())


def _enclosures(found: Iterable[tuple[object, object, object]], base: str) -> list[Enclosure]:
    """One per URL, as first given: Media RSS often repeats the enclosure."""
    files: dict[str, Enclosure] = {}
    for raw_href, kind, length in found:
        href = _http_url(raw_href, base)
        if href and href not in files:
            files[href] = Enclosure(
                url=href, mime_type=str(kind) if kind else None, length=_length(length)
            )
    return list(files.values())


_Entry = TypeVar("_Entry")  # a feed item as its parser gave it


def _guarded(
    read: Callable[[_Entry, _Inherited], ArticleDraft | SkippedItem],
    entry: _Entry,
    inherited: _Inherited,
) -> ArticleDraft | SkippedItem:
    """`read(entry, inherited)`; an item it fails on is skipped, not the feed's other items."""
    try:
        return read(entry, inherited)
    except Exception as exc:  # hostile input meets two parsers' corners: one item, not the feed
        return SkippedItem("invalid_item", f"{type(exc).__name__}: {exc}")


def _sorted_out(
    results: list[ArticleDraft | SkippedItem],
) -> tuple[list[ArticleDraft], tuple[SkippedItem, ...]]:
    items = [result for result in results if isinstance(result, ArticleDraft)]
    skipped = tuple(result for result in results if isinstance(result, SkippedItem))
    return items, skipped


def _title_from(text: str) -> str:
    """A title for an item without one: its text's first line, cut at a word near 100 characters."""
    line = text.split("\n", 1)[0]
    if len(line) <= _TITLE_LENGTH:
        return line
    return cut_at_word(line, _TITLE_LENGTH) + "…"


def _http_url(link: object, base: str) -> str | None:
    """`link` made absolute against `base`, if it is then an http(s) URL that can be canonical."""
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    if is_plain_http_url(link):  # most links: joining and checking would change nothing
        return link
    absolute = urljoin(base, link)
    if urlsplit(absolute).scheme not in ("http", "https"):
        return None
    try:
        canonical_url(absolute)
    except ValueError:
        return None
    return absolute


def _url_of_id(guid: object, base: str) -> str | None:
    """An item's GUID (or JSON Feed id) as its link, when it is a URL: many are not ("2", a
    UUID), and joined to the site's address would name a page that does not exist."""
    return _http_url(guid, base) if _is_absolute(guid) else None


def _is_absolute(link: object) -> bool:
    try:
        return isinstance(link, str) and bool(urlsplit(link.strip()).scheme)
    except ValueError:
        return False


def _host(link: str | None) -> str | None:
    try:
        return urlsplit(link).hostname if link else None
    except ValueError:
        return None


def _ttl(minutes: object) -> float | None:
    text = str(minutes).strip() if minutes is not None else ""
    return int(text) * 60.0 if text.isdigit() and int(text) > 0 else None


def _length(value: object) -> int | None:
    """An enclosure's size in bytes, if the feed gives a plausible one."""
    try:
        length = int(float(str(value)))
    except (ValueError, OverflowError):
        return None
    return length if length >= 0 else None


def _describe(problem: object) -> str:
    return f"{type(problem).__name__}: {problem}"[:300] if problem is not None else "no detail"

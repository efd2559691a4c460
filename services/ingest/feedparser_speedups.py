"""feedparser's slowest parts, replaced by ones that give the same and cost less.

feedparser is pure Python and reads every feed ingest fetches: most of a first pass's CPU. These
replacements were found by profiling a pass over a farm of RSS feeds (bench/feeds.py), and each
reads exactly what feedparser's own part reads:
tests/services/ingest/test_feedparser_speedups.py parses the same documents with and without
them. Importing the module puts them in place (`services.ingest.parse` does).
"""

from types import SimpleNamespace
from typing import Any

import feedparser
from feedparser.util import FeedParserDict

from services.ingest.identity import is_plain_http_url

_mixin = feedparser.mixin
STOCK_URLJOIN = _mixin._urljoin
STOCK_PUSH_CONTENT = _mixin._FeedParserMixin.push_content

# feedparser deep-copies the parameters of every text it stores (a title, a description: their
# type, language, base and value, all strings), a fifth of its CPU on a usual feed; a copy of the
# dict is the same.
_mixin.copy = SimpleNamespace(deepcopy=FeedParserDict)
# feedparser maps the C1 controls in every text it stores to the characters cp1252 has there, by
# `str.translate` with a dict: for a text with any character beyond ASCII (a curly quote) that is
# a failed lookup, a KeyError raised and dropped, per character, 25 times an ASCII text's cost. A
# table of the Basic Multilingual Plane maps the same 2.5 times faster; characters beyond it
# (emoji, rare) fall outside the table and stay as they are, as before.
_mixin._cp1252 = "".join(map(chr, range(0x10000))).translate(_mixin._cp1252)


def _joined(base: str, uri: str) -> str:
    """feedparser's `_urljoin`, which it runs at every element (for its xml:base, mostly none) and
    on every link: `urljoin` takes each apart and puts it back together, a tenth of feedparser's
    CPU on a usual feed. No URI gives the base, and an absolute link of the plain shape comes
    back as it is, as from `urljoin` (not one it changes: an upper-case scheme, or an empty query
    or fragment, which it drops)."""
    if not uri:
        return base or uri
    if (
        is_plain_http_url(uri)
        and uri.startswith(("http://", "https://"))
        and not uri.endswith(("?", "#"))
        and "?#" not in uri
    ):
        return uri
    return str(STOCK_URLJOIN(base, uri))


_mixin._urljoin = _joined


def _push_content(parser: Any, *args: Any) -> None:
    """feedparser's `push_content`, with the parameters of the text it starts (type, language,
    base) in a plain dict: feedparser reads them at every element and every run of characters,
    and a FeedParserDict answers each `get` through its aliases (none of these keys has one) and
    a KeyError for each missing key, a tenth of feedparser's CPU on a usual feed."""
    STOCK_PUSH_CONTENT(parser, *args)
    parser.contentparams = dict(parser.contentparams)


_mixin._FeedParserMixin.push_content = _push_content

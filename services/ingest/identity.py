"""Stable article ids: the same story gets the same id wherever and whenever it is seen.

The id comes from the canonical URL (lower-case host, no default port, no fragment, no tracking
parameters, sorted query) with the scheme left out, so the http and https copies of a story agree.
An article without a URL gets an id from its normalised title and body instead.
"""

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Besides the ad networks' and mailers', the analytics tags news sites put on their feed links:
# AT Internet / Piano (`at_*`, `xtor`: BBC, Le Monde, France 24), comScore (`ns_*`), the
# Guardian's `CMP`, the New York Times' `smid`, Al Jazeera's `traffic_source`.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs", "at_", "ns_")
_TRACKING_NAMES = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
     "mkt_tok", "_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc", "cmpid", "xtor",
     "cmp", "smid", "traffic_source"}
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Most article links are http(s) URLs that canonicalisation only lower-cases (scheme and host),
# sorts (the query) and cuts (the fragment): an ASCII host name without user or port; a path and
# query of unreserved characters, so nothing to percent-encode or decode; no dot segment (no path
# segment starts with "."); at most one "=" per query field; a fragment of printable ASCII. Those
# are canonicalised here directly, ten times faster than through w3lib (a publish hot spot);
# tests/services/ingest/test_identity.py checks that both ways agree.
_UNRESERVED = "[A-Za-z0-9._~-]"
_FIELD = f"{_UNRESERVED}*(?:={_UNRESERVED}*)?"
_SIMPLE_URL = re.compile(
    r"(?P<scheme>[Hh][Tt][Tt][Pp][Ss]?)://"
    r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)"
    rf"(?P<path>(?:/(?!\.){_UNRESERVED}*)*)"
    rf"(?:\?(?P<query>{_FIELD}(?:&{_FIELD})*))?"
    r"(?:#[!-~]*)?"
)

# The ASCII characters other than " " that str.split() separates words at: in UTF-8 each is one
# byte, part of no other character. (The non-ASCII ones, rare, are left to str.split() itself.)
_ASCII_SPACES = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_TO_SPACE = bytes.maketrans(_ASCII_SPACES, b" " * len(_ASCII_SPACES))
_ASCII = bytes(range(128))
_SPACE_RUN = re.compile(b"  +")


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def is_plain_http_url(url: str) -> bool:
    """Whether `url` is an absolute http(s) URL of the common shape above, which joining to a
    base would leave as it is and `canonical_url` takes without w3lib."""
    return _SIMPLE_URL.fullmatch(url) is not None


def canonical_url(url: str) -> str:
    """The form of `url` that every copy of the same story shares."""
    url = url.strip()
    simple = _SIMPLE_URL.fullmatch(url)
    if simple is None:
        return _canonicalize(url)
    fields = []
    for field in (simple["query"] or "").split("&"):
        name, _, value = field.partition("=")
        if field and not is_tracking_parameter(name):
            fields.append((name, value))
    query = "&".join(f"{name}={value}" for name, value in sorted(fields))
    canonical = f"{simple['scheme'].lower()}://{simple['host'].lower()}{simple['path'] or '/'}"
    return f"{canonical}?{query}" if query else canonical


def _canonicalize(url: str) -> str:
    """`canonical_url` of any URL, stripped: w3lib's canonical form, then this module's rules."""
    parts = urlsplit(canonicalize_url(url))
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(parts.scheme) == port else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not is_tracking_parameter(k)]
    )  # fmt: skip
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def _digest(text: str, length: int = 32) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def id_from_url(canonical: str) -> str:
    """The article id for a canonical URL; http and https give the same id."""
    return _digest(canonical.split("://", 1)[-1])


def id_from_guid(feed_url: str, guid: str) -> str:
    """The article id for an item without a link that its feed knows by `guid`."""
    return _digest(f"{feed_url}\n{guid}")


def _normalised(text: str) -> bytes:
    """UTF-8 of `" ".join(NFC(text).split())`, made from the bytes in a few passes at C speed
    rather than through a string object per word (a publish hot spot)."""
    text = unicodedata.normalize("NFC", text)
    data = text.encode()
    if not text.isascii():
        others = data.translate(None, _ASCII).decode()  # its non-ASCII characters
        if others.split(maxsplit=1) != [others]:  # one is whitespace too (rare): the long way
            return " ".join(text.split()).encode()
    return _SPACE_RUN.sub(b" ", data.translate(_TO_SPACE)).strip(b" ")


def content_hash(title: str, body: str) -> str:
    """SHA-256 of the normalised title and body: changes exactly when the story's text does."""
    return hashlib.sha256(_normalised(title) + b"\n" + _normalised(body)).hexdigest()


def id_from_content(title: str, body: str) -> str:
    """The article id for a story without a URL."""
    return id_from_content_hash(content_hash(title, body))


def id_from_content_hash(digest: str) -> str:
    """`id_from_content` of a text whose `content_hash` is known already."""
    return digest[:32]

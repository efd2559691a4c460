"""Fetches feeds over HTTP; HTTP is all this stage does.

One `Fetcher` per process wraps one `httpx.Client` (its pool is shared by every feed). A fetch
sends a conditional GET, follows redirects itself so that each hop is checked, streams the body
and stops at the cap, and returns a `FetchResult`, or raises the `FeedError` that says what went
wrong. Every failure of httpx, httpcore, zlib or brotli is converted here, with `raise ... from`.

Bodies are decompressed here, not by httpx, because httpx decompresses a whole network chunk at
once: a few kilobytes of brotli can expand to gigabytes before any cap is checked.
"""

import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from importlib.metadata import version
from typing import Any, Protocol

import brotli  # type: ignore[import-untyped]  # no type hints; used through `_BrotliDecoder`
import httpcore
import httpx
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswire.errors import (
    BodyTooLargeError,
    ContentEncodingError,
    FeedHTTPStatusError,
    FetchNetworkError,
    FetchTimeoutError,
    ForbiddenAddressError,
    InvalidFeedURLError,
    TooManyRedirectsError,
)
from services.ingest.pools import OriginPools

USER_AGENT = f"newswire/{version('newswire')}"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS  # zlib reads the header to tell which
# A gzip body may be several members back to back (RFC 1952); servers send one, or a few where
# they concatenate compressed parts. Each costs a new decompressor and a copy of what follows
# it, so a body of thousands of tiny members is refused rather than worked through.
MAX_GZIP_MEMBERS = 1000
# Idle connections kept per origin: enough for the next polls of a host's feeds, which ingest
# polls two at a time by default (`max_polls_per_host`).
_IDLE_PER_ORIGIN = 4


class FetchSettings(BaseSettings):
    """How feeds are fetched; `NEWSWIRE_FETCH_*`, and `NEWSWIRE_ALLOW_PRIVATE_ADDRESSES`."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_FETCH_", frozen=True, extra="ignore", populate_by_name=True
    )

    connect_timeout: float = Field(default=10.0, gt=0, description="Seconds to connect.")
    read_timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for any bytes.")
    deadline: float = Field(
        default=60.0, gt=0, description="Seconds for a whole fetch, redirects and body included."
    )
    max_body_bytes: int = Field(default=15 * 1024 * 1024, gt=0, description="Decompressed.")
    max_redirects: int = Field(default=5, ge=0)
    max_connections: int = Field(default=100, ge=1, description="Connections in use, all hosts.")
    keepalive_expiry: float = Field(
        default=5.0, gt=0, description="Seconds an idle connection is kept for its host."
    )
    user_agent: str = USER_AGENT
    allow_private_addresses: bool = Field(
        default=False,
        validation_alias="NEWSWIRE_ALLOW_PRIVATE_ADDRESSES",
        description="Let feeds reach loopback, private and link-local addresses (tests, intranet).",
    )


class FeedValidators(BaseModel):
    """What the server said identifies the version it sent; the next fetch asks for newer only."""

    model_config = ConfigDict(frozen=True)

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A response that carries a feed, or says the feed has not changed (`not_modified`)."""

    status: int
    url: str
    permanent_redirect_url: str | None  # where 301/308 (and only they) moved the feed
    body: bytes
    headers: Mapping[str, str]
    validators: FeedValidators
    not_modified: bool
    retry_after: float | None  # the hints are seconds from now
    cache_max_age: float | None
    expires: float | None
    elapsed: float


class Fetcher:
    """Fetches feeds; built once, shared by every feed and thread, closed at shutdown."""

    def __init__(self, settings: FetchSettings) -> None:
        self._settings = settings
        self._closed = False
        limits = httpx.Limits(
            max_connections=settings.max_connections, keepalive_expiry=settings.keepalive_expiry
        )
        backend = _DeadlineBackend() if settings.allow_private_addresses else _PublicOnlyBackend()
        transport = _GuardedTransport(limits, backend)
        # trust_env=False: a proxy from the environment would connect on the feed's behalf,
        # out of reach of the address check.
        self._client = httpx.Client(
            transport=transport,
            trust_env=False,
            # A feed is the same document for every reader, so no cookie is kept: a jar shared
            # by every feed would grow with each cookie a server sets and send them all back.
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
            follow_redirects=False,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": "gzip, deflate, br",
            },
        )

    def close(self) -> None:
        """Ends the fetches in flight too: they fail, and `closed` says why. (One still
        connecting or in its TLS handshake has no socket to end yet: it fails at its connect
        timeout.)"""
        self._closed = True
        self._client.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        validators: FeedValidators | None = None,
        headers: Mapping[str, str] | None = None,
        headers_origin: str | None = None,
    ) -> FetchResult:
        """GETs `url`, conditionally when `validators` are given. `headers` are the feed's own,
        sent only to the origin of `headers_origin` (the URL they were configured for; `url` by
        default): credentials and API keys must not follow a redirect, or a feed that moved, to
        another host."""
        started = time.monotonic()
        deadline = started + self._settings.deadline
        previous = validators or FeedValidators()
        own_headers, own_origin = headers or {}, headers_origin or url
        current, permanent_url, all_permanent = url, None, True
        visited = {url}
        with _deadline_at(deadline):
            for _ in range(self._settings.max_redirects + 1):
                sent_headers = {
                    **(own_headers if _same_origin(own_origin, current) else {}),
                    **_conditional_headers(previous),
                }
                response = self._send(url, current, sent_headers, deadline)
                if response.status_code not in _REDIRECTS:
                    return self._result(url, response, permanent_url, previous, started)
                target = _redirect_target(url, response)
                # A temporary hop anywhere before a permanent one: the old URL stays in charge.
                all_permanent = all_permanent and response.status_code in _PERMANENT_REDIRECTS
                permanent_url = target if all_permanent else permanent_url
                if target in visited:
                    detail = f"redirect loop: {current} -> {target}"
                    raise TooManyRedirectsError(url, detail, response.status_code)
                visited.add(target)
                current = target
        detail = f"more than {self._settings.max_redirects} redirects"
        raise TooManyRedirectsError(url, detail, response.status_code)

    def _send(
        self, feed_url: str, url: str, headers: Mapping[str, str], deadline: float
    ) -> httpx.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeoutError(feed_url, f"no answer within {self._settings.deadline}s")
        connect, read = self._settings.connect_timeout, self._settings.read_timeout
        # Connecting, reading and writing stop at the deadline by themselves (`_DeadlineStream`,
        # `_DeadlineBackend`); the wait for a pooled connection is bounded here.
        timeout = httpx.Timeout(
            connect=connect, read=read, write=read, pool=min(connect, remaining)
        )
        with _converted_errors(feed_url, url):
            request = self._client.build_request("GET", url, headers=headers, timeout=timeout)
            _check_url(feed_url, request.url)
            return self._client.send(request, stream=True)

    def _result(
        self,
        feed_url: str,
        response: httpx.Response,
        permanent_url: str | None,
        previous: FeedValidators,
        started: float,
    ) -> FetchResult:
        headers = response.headers
        status = response.status_code
        # A 304 to a request without validators leaves nothing to keep: a broken server.
        not_modified = status == 304 and bool(_conditional_headers(previous))
        try:
            retry_after = _retry_after(headers)
            if status >= 300 and not not_modified:
                raise FeedHTTPStatusError(feed_url, status, response.reason_phrase, retry_after)
            body = b"" if not_modified else self._read_body(feed_url, response)
        finally:
            response.close()
        return FetchResult(
            status=status,
            url=str(response.url),
            permanent_redirect_url=permanent_url,
            body=body,
            headers=headers,
            validators=FeedValidators(
                etag=headers.get("etag") or (previous.etag if not_modified else None),
                last_modified=headers.get("last-modified")
                or (previous.last_modified if not_modified else None),
            ),
            not_modified=not_modified,
            retry_after=retry_after,
            cache_max_age=_max_age(headers),
            expires=_expires(headers),
            elapsed=time.monotonic() - started,
        )

    def _read_body(self, feed_url: str, response: httpx.Response) -> bytes:
        limit = self._settings.max_body_bytes
        decoder = _decoder(feed_url, response.headers.get("content-encoding", ""))
        declared = response.headers.get("content-length", "")
        if isinstance(decoder, _IdentityDecoder) and declared.isdigit() and int(declared) > limit:
            raise BodyTooLargeError(
                feed_url, f"Content-Length {declared} is over {limit} bytes", response.status_code
            )
        chunks: list[bytes] = []
        size = 0
        with _converted_errors(feed_url, str(response.url)):
            for raw in response.iter_raw():
                chunk = decoder.decode(raw, limit - size + 1)
                size += len(chunk)
                if size > limit:
                    raise BodyTooLargeError(
                        feed_url, f"body over {limit} bytes", response.status_code
                    )
                chunks.append(chunk)
        decoder.finish()
        return b"".join(chunks)


def _conditional_headers(validators: FeedValidators) -> dict[str, str]:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _check_url(feed_url: str, url: httpx.URL) -> None:
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidFeedURLError(feed_url, f"{url} is not an http(s) URL with a host")
    if url.userinfo:
        # As in the feeds file: a redirect's target is logged, and after a 301 it is the feed's
        # URL, kept in Kafka, where a password must not be.
        shown = url.copy_with(userinfo=b"")
        raise InvalidFeedURLError(feed_url, f"{shown} with credentials: refused")


def _redirect_target(feed_url: str, response: httpx.Response) -> str:
    """Where a redirect points, as httpx read its Location (it refuses one it cannot parse)."""
    response.close()
    if response.next_request is None:
        raise FeedHTTPStatusError(feed_url, response.status_code, "redirect without a Location")
    return str(response.next_request.url)


def _same_origin(first: str, second: str) -> bool:
    a, b = httpx.URL(first), httpx.URL(second)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


@contextmanager
def _converted_errors(feed_url: str, url: str) -> Iterator[None]:
    """httpx's errors, and the address guard's, as the `FeedError` that says what happened."""
    try:
        yield
    except _RefusedAddressError as exc:
        raise ForbiddenAddressError(feed_url, f"{url}: {exc}") from exc
    except httpx.TimeoutException as exc:
        # A wait cut short by the fetch's deadline fails as httpx's timeout of that wait.
        what = "the fetch's deadline passed" if _time_is_up() else type(exc).__name__
        raise FetchTimeoutError(feed_url, f"{what} at {url}") from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise InvalidFeedURLError(feed_url, f"{url}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise FetchNetworkError(feed_url, f"{type(exc).__name__} at {url}: {exc}") from exc


# -- cache and retry hints: seconds from now, or None when absent or unreadable ---------------


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "").strip()
    if _is_number(value):
        return float(value)
    return _seconds_until(value, headers)


def _max_age(headers: Mapping[str, str]) -> float | None:
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and _is_number(value.strip('"')):
            return float(value.strip('"'))
    return None


def _is_number(text: str) -> bool:
    """Digits as HTTP writes them: `str.isdigit` also takes "²" and "٣", which `float` refuses."""
    return text.isascii() and text.isdigit()


def _expires(headers: Mapping[str, str]) -> float | None:
    return _seconds_until(headers.get("expires", ""), headers)


def _seconds_until(http_date: str, headers: Mapping[str, str]) -> float | None:
    """Seconds from the response's own Date (so clock skew cancels out) to `http_date`."""
    moment = _http_date(http_date)
    if moment is None:
        return None
    now = _http_date(headers.get("date", "")) or datetime.now(UTC)
    return max(0.0, (moment - now).total_seconds())


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):  # OverflowError: year 10**30
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- bounded decompression ---------------------------------------------------------------------


class _Decoder(Protocol):
    """Decodes a body chunk by chunk, returning at most `max_length` bytes for a chunk, or more
    only when the output is over `max_length` anyway; the caller stops reading then. Every decoder
    returns all the output its input allows, so none needs a final flush; `finish` says whether
    the compressed stream ended, as a body cut short in transit does not."""

    def decode(self, data: bytes, max_length: int) -> bytes: ...

    def finish(self) -> None: ...


def _decoder(feed_url: str, content_encoding: str) -> _Decoder:
    coding = content_encoding.strip().lower()
    if coding in ("", "identity"):
        return _IdentityDecoder()
    if coding in ("gzip", "x-gzip", "deflate"):
        return _ZlibDecoder(feed_url, raw_fallback=coding == "deflate")
    if coding == "br":
        return _BrotliDecoder(feed_url)
    raise ContentEncodingError(feed_url, f"unsupported Content-Encoding {content_encoding!r}")


class _IdentityDecoder:
    def decode(self, data: bytes, max_length: int) -> bytes:
        return data

    def finish(self) -> None:
        pass


class _ZlibDecoder:
    """gzip (of one member or several, as RFC 1952 allows), or zlib-wrapped deflate; raw deflate
    too, which some servers send as `deflate`."""

    def __init__(self, feed_url: str, raw_fallback: bool) -> None:
        self._feed_url = feed_url
        self._raw_fallback = raw_fallback
        self._started = False
        self._members = 1
        self._zlib = zlib.decompressobj(wbits=_GZIP_OR_ZLIB)

    def decode(self, data: bytes, max_length: int) -> bytes:
        parts = [self._decompress(data, max_length)]
        produced = len(parts[0])
        # The next gzip members (trailing zero bytes, which some servers add, are no member).
        while self._zlib.eof and self._zlib.unused_data.strip(b"\x00") and produced < max_length:
            self._members += 1
            if self._members > MAX_GZIP_MEMBERS:
                raise ContentEncodingError(
                    self._feed_url, f"more than {MAX_GZIP_MEMBERS} gzip members"
                )
            rest, self._zlib = self._zlib.unused_data, zlib.decompressobj(wbits=_GZIP_OR_ZLIB)
            parts.append(self._decompress(rest, max_length - produced))
            produced += len(parts[-1])
        return b"".join(parts)

    def _decompress(self, data: bytes, max_length: int) -> bytes:
        try:
            output = self._zlib.decompress(data, max_length)
        except zlib.error as exc:
            if self._started or not self._raw_fallback:
                raise ContentEncodingError(
                    self._feed_url, f"corrupt compressed body: {exc}"
                ) from exc
            self._zlib = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
            self._raw_fallback = False
            return self._decompress(data, max_length)
        self._started = True
        return output

    def finish(self) -> None:
        if self._started and not self._zlib.eof:
            raise ContentEncodingError(self._feed_url, "compressed body cut short")


class _BrotliDecoder:
    def __init__(self, feed_url: str) -> None:
        self._feed_url = feed_url
        self._brotli = brotli.Decompressor()

    def decode(self, data: bytes, max_length: int) -> bytes:
        try:
            output: bytes = self._brotli.process(data, output_buffer_limit=max_length)
            # Output held back at the limit comes out on calls with no new input.
            while len(output) < max_length and not self._brotli.can_accept_more_data():
                output += self._brotli.process(b"", output_buffer_limit=max_length - len(output))
        except brotli.error as exc:
            raise ContentEncodingError(self._feed_url, f"corrupt brotli body: {exc}") from exc
        return output

    def finish(self) -> None:
        if not self._brotli.is_finished():
            raise ContentEncodingError(self._feed_url, "brotli body cut short")


# -- the deadline of a whole fetch ---------------------------------------------------------------

# The deadline of the fetch this thread is doing. httpx's timeouts bound each wait for bytes, so a
# server that trickles its status line, headers or chunk lines a byte at a time, or sends 1xx
# responses without end, would hold a poll for as long as it likes; every read and write on the
# fetch's connection is bounded by the time left instead. A fetch and its I/O share a thread.
_fetch = threading.local()


@contextmanager
def _deadline_at(moment: float) -> Iterator[None]:
    _fetch.deadline = moment
    try:
        yield
    finally:
        _fetch.deadline = None


def _time_is_up() -> bool:
    deadline: float | None = getattr(_fetch, "deadline", None)
    return deadline is not None and time.monotonic() >= deadline


def _time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline: float | None = getattr(_fetch, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the fetch's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        # Closing a socket does not wake a thread blocked reading it; shutting it down does. So
        # closing the fetcher at a stop ends the fetches in flight at once, not at their timeout.
        sock = self._stream.get_extra_info("socket")
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    """Connections made, read and written no later than the fetch's deadline."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        stream = super().connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream)


# -- connecting to public addresses only ---------------------------------------------------------


class _RefusedAddressError(Exception):
    """A host resolved to an address feeds may not reach: raised in httpcore, converted above."""


# Prefixes of IPv6 addresses that carry an IPv4 address in their last 32 bits, reachable
# through a translator: NAT64 (well-known and local-use), SIIT, and the deprecated
# IPv4-compatible ones.
_IPV4_EMBEDDING = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
    ipaddress.IPv6Network("::/96"),
)


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, site-local, shared, reserved, unspecified and
    multicast, and for IPv6 addresses that wrap an IPv4 address that is one of those."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(str(embedded))
        if ip.is_site_local:
            return False
    return ip.is_global and not ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _IPV4_EMBEDDING):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class _PublicOnlyBackend(_DeadlineBackend):
    """Resolves the host itself, refuses it if any address is not public, and connects to exactly
    an address it checked. Checking at connect time, for the first URL, every redirect and every
    new pooled connection alike, leaves no window for DNS rebinding between check and connect.

    `getaddrinfo` has no timeout of its own: a stalled resolver is bounded by the system
    resolver's timeouts, not by the fetch's deadline.
    """

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            if not is_public_address(address):
                raise _RefusedAddressError(
                    f"{host} resolves to {address}, not a public address "
                    "(NEWSWIRE_ALLOW_PRIVATE_ADDRESSES=1 allows it)"
                )
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # a dual-stack host whose IPv6 path is broken: try the next one
        raise failure


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, limits: httpx.Limits, backend: httpcore.SyncBackend) -> None:
        ssl_context = httpx.create_ssl_context(trust_env=False)  # one, loaded once, for all
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx takes neither a network backend nor a pool, so the pool it built is replaced by
        # pools per origin on our backend. httpx is pinned, and the deadline, private-address and
        # pool tests fail if this breaks.

        def new_pool() -> httpcore.ConnectionPool:
            return httpcore.ConnectionPool(
                ssl_context=ssl_context,
                max_connections=limits.max_connections,
                max_keepalive_connections=_IDLE_PER_ORIGIN,
                keepalive_expiry=limits.keepalive_expiry,
                network_backend=backend,
            )

        # httpx calls only `handle_request` and `close` on its pool.
        self._pool = OriginPools(  # type: ignore[assignment]
            new_pool, limits.max_connections or 1, limits.keepalive_expiry or 0.0
        )

"""The fetcher against a real HTTP server on 127.0.0.1, serving canned responses."""

import contextlib
import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest

from newswire.errors import (
    BodyTooLargeError,
    ContentEncodingError,
    FeedError,
    FeedHTTPStatusError,
    FetchNetworkError,
    FetchTimeoutError,
    ForbiddenAddressError,
    InvalidFeedURLError,
    TooManyRedirectsError,
)
from services.ingest import fetch
from services.ingest.fetch import (
    MAX_GZIP_MEMBERS,
    FeedValidators,
    Fetcher,
    FetchSettings,
    is_public_address,
)

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


@dataclass
class Reply:
    """One canned response; `drip` sends the body a byte at a time, that many seconds apart, and
    without `length` the body ends when the connection closes."""

    status: int = 200
    body: bytes = RSS
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float | None = None
    length: bool = True


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    connection: int = 0  # the client's port: requests on one connection share it
    at: float = field(default_factory=time.monotonic)


Route = Reply | Callable[[Seen], Reply]


class FeedServer:
    """A ThreadingHTTPServer on 127.0.0.1, port 0; `routes` maps a path to its reply. `closed`
    lists the connections (client ports) the client closed."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.closed: list[int] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen = Seen(self.path, headers, self.client_address[1])
                server.requests.append(seen)
                route = server.routes.get(self.path.split("?")[0], Reply(404, b"not found"))
                reply = route(seen) if callable(route) else route
                time.sleep(reply.delay)
                # The client may give up first, as the timeout and cap tests want it to.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._write(reply)

            def _write(self, reply: Reply) -> None:
                self.send_response_only(reply.status)
                if "Date" not in reply.headers:
                    self.send_header("Date", self.date_time_string())
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.length:
                    self.send_header("Content-Length", str(len(reply.body)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                if reply.drip is None:
                    self.wfile.write(reply.body)
                    return
                for byte in reply.body[:200]:  # bounded: the server stops by itself
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.drip)

            def finish(self) -> None:
                super().finish()
                server.closed.append(self.client_address[1])

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> "FeedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as feed_server:
        yield feed_server


def make_fetcher(**overrides: object) -> Fetcher:
    values: dict[str, object] = {"allow_private_addresses": True, **overrides}
    return Fetcher(FetchSettings.model_validate(values))


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with make_fetcher() as client:
        yield client


def test_plain_200_returns_body_url_and_user_agent(server: FeedServer, fetcher: Fetcher) -> None:
    server.routes["/feed"] = Reply(headers={"Content-Type": "application/rss+xml"})
    result = fetcher.fetch(server.url("/feed"))
    assert (result.status, result.body, result.not_modified) == (200, RSS, False)
    assert result.url == server.url("/feed")
    assert result.permanent_redirect_url is None
    assert result.headers["content-type"] == "application/rss+xml"
    sent = server.requests[0].headers
    assert sent["user-agent"] == f"newswire/{version('newswire')}"
    assert "br" in sent["accept-encoding"] and "gzip" in sent["accept-encoding"]


def test_user_agent_and_feed_headers_are_configurable(server: FeedServer) -> None:
    server.routes["/feed"] = Reply()
    with make_fetcher(user_agent="custom/1.0") as client:
        client.fetch(server.url("/feed"), headers={"X-Token": "abc"})
    assert server.requests[0].headers["user-agent"] == "custom/1.0"
    assert server.requests[0].headers["x-token"] == "abc"


def test_conditional_get_sends_validators_and_reports_304(
    server: FeedServer, fetcher: Fetcher
) -> None:
    def conditional(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", {"Cache-Control": "max-age=600"})
        return Reply(headers={"ETag": '"v1"', "Last-Modified": "Mon, 05 Jan 2026 10:00:00 GMT"})

    server.routes["/feed"] = conditional
    first = fetcher.fetch(server.url("/feed"))
    assert first.validators == FeedValidators(
        etag='"v1"', last_modified="Mon, 05 Jan 2026 10:00:00 GMT"
    )
    second = fetcher.fetch(server.url("/feed"), first.validators)
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.validators == first.validators  # a 304 without validators keeps the old ones
    assert second.cache_max_age == 600.0
    assert server.requests[1].headers["if-modified-since"] == "Mon, 05 Jan 2026 10:00:00 GMT"


def test_a_304_to_a_request_without_validators_is_an_error(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.routes["/feed"] = Reply(304, b"")
    with pytest.raises(FeedHTTPStatusError) as raised:
        fetcher.fetch(server.url("/feed"))
    assert (raised.value.status, raised.value.reason) == (304, "http_3xx")


def test_closing_the_fetcher_ends_a_fetch_in_flight_at_once(server: FeedServer) -> None:
    server.routes["/feed"] = Reply(delay=10.0)  # the answer would come after the read timeout
    fetcher = make_fetcher(read_timeout=8.0, deadline=9.0)
    with ThreadPoolExecutor(1) as pool:
        fetch = pool.submit(fetcher.fetch, server.url("/feed"))
        time.sleep(0.5)  # the request sent, its reader blocked on the socket
        closed = time.monotonic()
        fetcher.close()
        with pytest.raises(FeedError):
            fetch.result(timeout=9)
        assert time.monotonic() - closed < 2.0


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
    ],
)
def test_compressed_bodies_are_decoded(
    server: FeedServer, fetcher: Fetcher, coding: str, compress: Callable[[bytes], bytes]
) -> None:
    server.routes["/feed"] = Reply(body=compress(RSS * 50), headers={"Content-Encoding": coding})
    assert fetcher.fetch(server.url("/feed")).body == RSS * 50


def test_a_gzip_body_of_several_members_is_read_whole(server: FeedServer, fetcher: Fetcher) -> None:
    body = gzip.compress(RSS[:40]) + gzip.compress(RSS[40:]) + bytes(8)  # and zero padding
    server.routes["/feed"] = Reply(body=body, headers={"Content-Encoding": "gzip"})
    assert fetcher.fetch(server.url("/feed")).body == RSS


def test_a_gzip_body_of_thousands_of_members_is_refused_not_recursed_through(
    server: FeedServer, fetcher: Fetcher
) -> None:
    text = (RSS * 13)[:MAX_GZIP_MEMBERS]
    members = [gzip.compress(bytes([byte])) for byte in text]
    server.routes["/most"] = Reply(body=b"".join(members), headers={"Content-Encoding": "gzip"})
    assert fetcher.fetch(server.url("/most")).body == text

    many = b"".join(members) * 5  # 5,000 members: deeper than Python's recursion limit
    server.routes["/many"] = Reply(body=many, headers={"Content-Encoding": "gzip"})
    with pytest.raises(ContentEncodingError, match=f"more than {MAX_GZIP_MEMBERS} gzip members"):
        fetcher.fetch(server.url("/many"))


@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_a_compressed_body_cut_short_is_an_error_not_a_shorter_feed(
    server: FeedServer, fetcher: Fetcher, coding: str, compress: Callable[[bytes], bytes]
) -> None:
    # Taken as it came, its validators would answer the next poll with a 304, hiding the rest.
    whole = compress(RSS * 50)
    server.routes["/feed"] = Reply(
        body=whole[: len(whole) // 2], headers={"Content-Encoding": coding}
    )
    with pytest.raises(ContentEncodingError, match="cut short"):
        fetcher.fetch(server.url("/feed"))


def test_corrupt_compressed_body_is_a_clear_error(server: FeedServer, fetcher: Fetcher) -> None:
    server.routes["/feed"] = Reply(body=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(ContentEncodingError) as caught:
        fetcher.fetch(server.url("/feed"))
    assert caught.value.reason == "bad_encoding"


@pytest.mark.parametrize(
    ("status", "moved"), [(301, True), (308, True), (302, False), (307, False), (303, False)]
)
def test_only_permanent_redirects_move_the_feed(
    server: FeedServer, fetcher: Fetcher, status: int, moved: bool
) -> None:
    server.routes["/old"] = Reply(status, b"", {"Location": "/new"})
    server.routes["/new"] = Reply()
    result = fetcher.fetch(server.url("/old"))
    assert result.url == server.url("/new")
    assert result.permanent_redirect_url == (server.url("/new") if moved else None)


def test_temporary_hop_before_permanent_one_keeps_the_feed_url(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.routes["/a"] = Reply(301, b"", {"Location": "/b"})
    server.routes["/b"] = Reply(302, b"", {"Location": "/c"})
    server.routes["/c"] = Reply(301, b"", {"Location": "/d"})
    server.routes["/d"] = Reply()
    assert fetcher.fetch(server.url("/a")).permanent_redirect_url == server.url("/b")
    assert fetcher.fetch(server.url("/b")).permanent_redirect_url is None


def test_redirect_loop_and_long_chains_stop(server: FeedServer) -> None:
    server.routes["/loop-a"] = Reply(302, b"", {"Location": "/loop-b"})
    server.routes["/loop-b"] = Reply(302, b"", {"Location": "/loop-a"})
    for n in range(4):
        server.routes[f"/hop{n}"] = Reply(302, b"", {"Location": f"/hop{n + 1}"})
    with make_fetcher(max_redirects=2) as client:
        with pytest.raises(TooManyRedirectsError, match="loop"):
            client.fetch(server.url("/loop-a"))
        with pytest.raises(TooManyRedirectsError, match="more than 2"):
            client.fetch(server.url("/hop0"))
    assert len(server.requests) == 2 + 3


def test_a_feeds_headers_go_to_its_own_origin_only(server: FeedServer, fetcher: Fetcher) -> None:
    secrets = {"Authorization": "Bearer x", "Cookie": "s=1", "X-Api-Key": "k"}
    server.routes["/private"] = Reply(302, b"", {"Location": server.url("/feed", "localhost")})
    server.routes["/feed"] = Reply()
    fetcher.fetch(server.url("/private"), headers=secrets)
    # A feed that moved for good to another origin (301) is polled there without them too.
    fetcher.fetch(
        server.url("/feed", "localhost"), headers=secrets, headers_origin=server.url("/a")
    )
    fetcher.fetch(server.url("/feed"), headers=secrets, headers_origin=server.url("/a"))
    first, redirected, moved, same_origin = server.requests
    for seen in (first, same_origin):
        assert (seen.headers["authorization"], seen.headers["x-api-key"]) == ("Bearer x", "k")
    for seen in (redirected, moved):
        assert not {"authorization", "cookie", "x-api-key"} & seen.headers.keys()


@pytest.mark.parametrize(
    ("location", "error"),
    [
        (None, FeedHTTPStatusError),
        ("file:///etc/passwd", InvalidFeedURLError),
        ("http://[::1", FetchNetworkError),  # not even a URL: the server speaks broken HTTP
    ],
)
def test_unusable_redirects_are_errors(
    server: FeedServer, fetcher: Fetcher, location: str | None, error: type[Exception]
) -> None:
    server.routes["/feed"] = Reply(302, b"", {"Location": location} if location else {})
    with pytest.raises(error):
        fetcher.fetch(server.url("/feed"))


@pytest.mark.parametrize("status", [301, 302])
def test_a_redirect_to_a_url_with_credentials_is_refused(
    server: FeedServer, fetcher: Fetcher, status: int
) -> None:
    target = server.url("/feed").replace("http://", "http://user:s3cret@")
    server.routes["/moved"] = Reply(status, b"", {"Location": target})
    server.routes["/feed"] = Reply()
    with pytest.raises(InvalidFeedURLError, match="credentials") as caught:
        fetcher.fetch(server.url("/moved"))
    assert "s3cret" not in str(caught.value)
    assert [request.path for request in server.requests] == ["/moved"]


def test_429_carries_retry_after_and_is_retriable(server: FeedServer, fetcher: Fetcher) -> None:
    server.routes["/feed"] = Reply(429, b"slow down", {"Retry-After": "120"})
    with pytest.raises(FeedHTTPStatusError) as caught:
        fetcher.fetch(server.url("/feed"))
    error = caught.value
    assert (error.status, error.reason, error.retry_after, error.retriable) == (
        429,
        "http_4xx",
        120.0,
        True,
    )


def test_503_retry_after_as_http_date_is_relative_to_server_date(
    server: FeedServer, fetcher: Fetcher
) -> None:
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    server.routes["/feed"] = Reply(
        503,
        b"",
        {
            "Date": format_datetime(now, usegmt=True),
            "Retry-After": format_datetime(now + timedelta(minutes=5), usegmt=True),
        },
    )
    with pytest.raises(FeedHTTPStatusError) as caught:
        fetcher.fetch(server.url("/feed"))
    assert (caught.value.reason, caught.value.retry_after) == ("http_5xx", 300.0)


def test_404_is_not_retriable(server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(FeedHTTPStatusError) as caught:
        fetcher.fetch(server.url("/missing"))
    assert (caught.value.status, caught.value.retriable) == (404, False)


def test_cache_hints_are_seconds_from_now(server: FeedServer, fetcher: Fetcher) -> None:
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    server.routes["/feed"] = Reply(
        headers={
            "Cache-Control": "public, max-age=900",
            "Date": format_datetime(now, usegmt=True),
            "Expires": format_datetime(now + timedelta(hours=1), usegmt=True),
        }
    )
    result = fetcher.fetch(server.url("/feed"))
    assert (result.cache_max_age, result.expires, result.retry_after) == (900.0, 3600.0, None)


def test_dates_past_any_calendar_are_ignored(server: FeedServer, fetcher: Fetcher) -> None:
    endless = "Mon, 01 Jan 99999999999999999999999 00:00:00 GMT"
    server.routes["/feed"] = Reply(headers={"Date": endless, "Expires": endless})
    result = fetcher.fetch(server.url("/feed"))
    assert (result.body, result.expires) == (RSS, None)

    server.routes["/busy"] = Reply(503, b"", {"Retry-After": endless})
    with pytest.raises(FeedHTTPStatusError) as caught:
        fetcher.fetch(server.url("/busy"))
    assert (caught.value.reason, caught.value.retry_after) == ("http_5xx", None)


def test_cookies_are_neither_kept_nor_sent(server: FeedServer, fetcher: Fetcher) -> None:
    server.routes["/feed"] = Reply(headers={"Set-Cookie": "visitor=1; Path=/; Max-Age=3600"})
    fetcher.fetch(server.url("/feed"))
    fetcher.fetch(server.url("/feed"))
    assert [seen.headers.get("cookie") for seen in server.requests] == [None, None]


def test_slow_headers_trip_the_read_timeout(server: FeedServer) -> None:
    server.routes["/feed"] = Reply(delay=2.0)
    with make_fetcher(read_timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError, match=": timeout: ReadTimeout at "):
            client.fetch(server.url("/feed"))
    assert time.monotonic() - started < 1.5


def test_dripping_body_trips_the_overall_deadline(server: FeedServer) -> None:
    # Each byte arrives well within the read timeout; only the deadline can stop this.
    server.routes["/feed"] = Reply(body=RSS, drip=0.05)
    with make_fetcher(read_timeout=1.0, deadline=0.5) as client:
        started = time.monotonic()
        with pytest.raises(
            FetchTimeoutError, match=": timeout: the fetch's deadline passed at "
        ) as caught:
            client.fetch(server.url("/feed"))
    assert time.monotonic() - started < 1.5
    assert caught.value.retriable


@pytest.mark.parametrize(
    "answer",
    [
        # Each a byte or a line at a time, each well within the read timeout.
        [b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"] * 40,
        [bytes([byte]) for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200],
    ],
    ids=["endless-1xx", "dripping-headers"],
)
def test_headers_that_never_end_trip_the_overall_deadline(answer: list[bytes]) -> None:
    with (
        _raw_server(answer, pause=0.1) as url,
        make_fetcher(read_timeout=1.0, deadline=1.0) as client,
    ):
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError, match=": timeout: the fetch's deadline passed at "):
            client.fetch(url)
    assert time.monotonic() - started < 2.0


@contextlib.contextmanager
def _raw_server(answer: list[bytes], pause: float) -> Iterator[str]:
    """A server that reads a request and writes `answer` piece by piece, `pause` seconds apart."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                for piece in answer:
                    connection.sendall(piece)
                    time.sleep(pause)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    finally:
        listener.close()


@pytest.mark.parametrize(
    "hostile",
    [{"Retry-After": "\u00b2"}, {"Cache-Control": "max-age=\u00b2"}],
)
def test_numbers_in_headers_that_are_not_ascii_are_ignored_and_the_connection_freed(
    server: FeedServer, hostile: dict[str, str]
) -> None:
    server.routes["/busy"] = Reply(503, b"busy", hostile)
    with make_fetcher(max_connections=1) as client:
        for _ in range(3):  # a connection left open would make the next fetch wait for the pool
            with pytest.raises(FeedHTTPStatusError) as caught:
                client.fetch(server.url("/busy"))
            assert caught.value.retry_after is None


def test_refused_connection_is_a_network_error(fetcher: Fetcher) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchNetworkError) as caught:
        fetcher.fetch(f"http://127.0.0.1:{port}/feed")
    assert caught.value.retriable and caught.value.reason == "network"


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "http:///feed", "not a url"])
def test_urls_that_are_not_http_are_refused(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(InvalidFeedURLError):
        fetcher.fetch(url)


def test_body_over_the_cap_is_refused_by_content_length(server: FeedServer) -> None:
    server.routes["/feed"] = Reply(body=b"x" * 5000)
    with make_fetcher(max_body_bytes=1000) as client, pytest.raises(BodyTooLargeError):
        client.fetch(server.url("/feed"))


def test_body_over_the_cap_is_stopped_while_streaming(server: FeedServer) -> None:
    server.routes["/feed"] = Reply(body=b"x" * 5000, length=False)
    with make_fetcher(max_body_bytes=1000) as client, pytest.raises(BodyTooLargeError):
        client.fetch(server.url("/feed"))


def test_body_exactly_at_the_cap_is_kept(server: FeedServer) -> None:
    server.routes["/feed"] = Reply(
        body=gzip.compress(b"x" * 1000), headers={"Content-Encoding": "gzip"}
    )
    with make_fetcher(max_body_bytes=1000) as client:
        assert client.fetch(server.url("/feed")).body == b"x" * 1000


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_decompression_bombs_stop_at_the_cap_without_inflating(
    server: FeedServer, coding: str
) -> None:
    server.routes["/feed"] = Reply(body=_bomb(coding), headers={"Content-Encoding": coding})
    tracemalloc.start()
    try:
        with make_fetcher(max_body_bytes=1 << 20) as client, pytest.raises(BodyTooLargeError):
            client.fetch(server.url("/feed"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def _bomb(coding: str) -> bytes:
    """64 MiB of zeros, compressed to a few kilobytes (brotli) or 64 kB (gzip)."""
    megabyte = bytes(1 << 20)
    if coding == "br":
        compressor = brotli.Compressor(quality=5)
        body: bytes = b"".join(compressor.process(megabyte) for _ in range(64))
        tail: bytes = compressor.finish()
        return body + tail
    gzipper = zlib.compressobj(9, wbits=31)
    return b"".join(gzipper.compress(megabyte) for _ in range(64)) + gzipper.flush()


def test_private_address_is_refused_before_any_request(server: FeedServer) -> None:
    with make_fetcher(allow_private_addresses=False) as client:
        for host in ("127.0.0.1", "localhost", "[::1]"):
            with pytest.raises(ForbiddenAddressError) as caught:
                client.fetch(server.url("/feed", host))
            assert caught.value.reason == "forbidden_address" and not caught.value.retriable
            assert "NEWSWIRE_ALLOW_PRIVATE_ADDRESSES=1 allows it" in caught.value.detail
    assert server.requests == []


def test_an_address_that_does_not_answer_gives_way_to_the_next(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A dual-stack host whose first address cannot be reached: here a listener on 127.0.0.2
    # whose backlog is full, so that a connection attempt times out as on a broken route.
    with contextlib.ExitStack() as stack:
        silent = stack.enter_context(socket.create_server(("127.0.0.2", server.port), backlog=0))
        for _ in range(4):
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            filler.connect_ex(silent.getsockname())
        addresses = [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, server.port))
            for address in ("127.0.0.2", "127.0.0.1")
        ]
        resolve = socket.getaddrinfo

        def resolve_dual(host: str, *args: Any, **kwargs: Any) -> list[Any]:
            return addresses if host == "dual.example" else resolve(host, *args, **kwargs)

        monkeypatch.setattr(fetch, "is_public_address", lambda address: True)
        monkeypatch.setattr(socket, "getaddrinfo", resolve_dual)
        server.routes["/feed"] = Reply()
        with make_fetcher(allow_private_addresses=False, connect_timeout=0.3) as client:
            assert client.fetch(server.url("/feed", "dual.example")).status == 200


def test_every_redirect_hop_is_checked(server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stand-in policy: 127.0.0.1 plays a public host, 127.0.0.2 a private one.
    monkeypatch.setattr(fetch, "is_public_address", lambda address: address == "127.0.0.1")
    server.routes["/feed"] = Reply(302, b"", {"Location": server.url("/inside", "127.0.0.2")})
    with (
        make_fetcher(allow_private_addresses=False) as client,
        pytest.raises(ForbiddenAddressError, match=r"127\.0\.0\.2"),
    ):
        client.fetch(server.url("/feed"))
    assert [seen.path for seen in server.requests] == ["/feed"]


def test_settings_read_the_documented_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_ALLOW_PRIVATE_ADDRESSES", "1")
    monkeypatch.setenv("NEWSWIRE_FETCH_READ_TIMEOUT", "7")
    settings = FetchSettings()
    assert settings.allow_private_addresses and settings.read_timeout == 7.0
    assert FetchSettings(allow_private_addresses=False).allow_private_addresses is False


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        # IPv4 inside IPv6, through a translator or tunnel: judged by the IPv4 address.
        ("64:ff9b::a00:5", False),  # NAT64 of 10.0.0.5
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("::10.0.0.5", False),  # IPv4-compatible
        ("::ffff:0:10.0.0.5", False),  # IPv4-translated
        ("2002:a00:5::1", False),  # 6to4 of 10.0.0.5
        ("fec0::5", False),  # site-local
    ],
)
def test_public_address_policy(address: str, public: bool) -> None:
    assert is_public_address(address) is public

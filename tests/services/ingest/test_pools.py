"""Connections pooled per origin, through the fetcher, against real HTTP servers on 127.0.0.1
(a port, so an origin, each)."""

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from newswire.errors import FetchNetworkError, FetchTimeoutError
from services.ingest.fetch import Fetcher
from tests.services.ingest.test_fetch import RSS, FeedServer, Reply, make_fetcher
from tests.waiting import wait_for

EXPIRY = 0.3


@pytest.fixture
def servers() -> Iterator[tuple[FeedServer, FeedServer]]:
    with FeedServer() as first, FeedServer() as second:
        for server in (first, second):
            server.routes["/feed"] = Reply()
            server.routes["/slow"] = Reply(delay=EXPIRY * 3)
        yield first, second


def body(fetcher: Fetcher, url: str) -> bytes:
    return fetcher.fetch(url).body


def in_background(action: Callable[[], bytes]) -> tuple[threading.Thread, list[object]]:
    """`action` in a thread of its own; what it returned, or raised, once the thread ends."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(action())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_fetches_from_one_origin_share_its_connection(
    servers: tuple[FeedServer, FeedServer],
) -> None:
    first, _ = servers
    with make_fetcher() as fetcher:
        assert [body(fetcher, first.url("/feed")) for _ in range(3)] == [RSS] * 3
    assert len({seen.connection for seen in first.requests}) == 1


def test_an_origin_left_unused_has_its_connections_closed(
    servers: tuple[FeedServer, FeedServer],
) -> None:
    first, second = servers
    with make_fetcher(keepalive_expiry=EXPIRY) as fetcher:
        body(fetcher, first.url("/feed"))
        connection = first.requests[-1].connection
        time.sleep(EXPIRY * 1.5)
        assert connection not in first.closed  # open as long as nothing else happens
        body(fetcher, second.url("/feed"))  # any later fetch closes what expired
        wait_for(lambda: connection in first.closed, 5, "the expired connection closed")
        assert second.requests[-1].connection not in second.closed


def test_an_origin_with_a_fetch_in_flight_keeps_its_connection_past_the_expiry(
    servers: tuple[FeedServer, FeedServer],
) -> None:
    first, second = servers
    with make_fetcher(keepalive_expiry=EXPIRY) as fetcher:
        slow, outcome = in_background(lambda: body(fetcher, first.url("/slow")))
        time.sleep(EXPIRY * 1.5)
        body(fetcher, second.url("/feed"))
        slow.join(10)
    assert outcome == [RSS]


def test_connections_in_use_are_bounded_across_origins(
    servers: tuple[FeedServer, FeedServer],
) -> None:
    first, second = servers
    with make_fetcher(max_connections=1, connect_timeout=0.1) as fetcher:
        slow, outcome = in_background(lambda: body(fetcher, first.url("/slow")))
        wait_for(lambda: bool(first.requests), 5, "the slow fetch under way")
        with pytest.raises(FetchTimeoutError):
            fetcher.fetch(second.url("/feed"))
        slow.join(10)
        assert outcome == [RSS]
        assert body(fetcher, second.url("/feed")) == RSS


def test_a_failed_fetch_gives_its_connection_back(servers: tuple[FeedServer, FeedServer]) -> None:
    first, _ = servers
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{probe.getsockname()[1]}/feed"
    with make_fetcher(max_connections=1, connect_timeout=0.1) as fetcher:
        for _ in range(2):
            with pytest.raises(FetchNetworkError):
                fetcher.fetch(refused)
        assert body(fetcher, first.url("/feed")) == RSS


def test_closing_the_fetcher_closes_every_origins_connections(
    servers: tuple[FeedServer, FeedServer],
) -> None:
    with make_fetcher() as fetcher:
        for server in servers:
            body(fetcher, server.url("/feed"))
        opened = [(server, server.requests[-1].connection) for server in servers]
    wait_for(
        lambda: all(connection in server.closed for server, connection in opened),
        5,
        "every connection closed",
    )

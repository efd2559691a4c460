import socket

import httpx
import pytest

from newswire.errors import ConfigError
from newswire.observability.endpoints import EndpointServer, Readiness


def test_health_readiness_and_metrics() -> None:
    readiness = Readiness()
    with EndpointServer("127.0.0.1", 0, readiness) as server:
        base = f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{base}/healthz").status_code == 200

        starting = httpx.get(f"{base}/readyz")
        assert starting.status_code == 503
        assert "starting" in starting.text

        readiness.ready()
        assert httpx.get(f"{base}/readyz").status_code == 200
        assert "\nnewswire_ready 1.0\n" in httpx.get(f"{base}/metrics").text
        readiness.not_ready("broker unreachable")
        assert "broker unreachable" in httpx.get(f"{base}/readyz").text
        assert "\nnewswire_ready 0.0\n" in httpx.get(f"{base}/metrics").text

        metrics = httpx.get(f"{base}/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "process_resident_memory_bytes" in metrics.text
        assert httpx.get(f"{base}/nothing").status_code == 404

        # HEAD answers as GET, without the body.
        head = httpx.head(f"{base}/readyz")
        assert (head.status_code, head.content) == (503, b"")
        assert head.headers["content-length"] == str(len(httpx.get(f"{base}/readyz").content))
        assert httpx.head(f"{base}/nothing").status_code == 404
        # A query string (a cache buster, a checker's own parameters) names the same endpoint.
        assert httpx.get(f"{base}/healthz?probe=1").status_code == 200
        assert "newswire_ready" in httpx.get(f"{base}/metrics?x").text


def test_a_port_another_process_holds_is_a_config_error_that_says_what_to_do() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}.*NEWSWIRE_METRICS_PORT"):
            EndpointServer("127.0.0.1", port, Readiness())

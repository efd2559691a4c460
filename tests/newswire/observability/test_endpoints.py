import httpx

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
        readiness.not_ready("broker unreachable")
        assert "broker unreachable" in httpx.get(f"{base}/readyz").text

        metrics = httpx.get(f"{base}/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "process_resident_memory_bytes" in metrics.text
        assert httpx.get(f"{base}/nothing").status_code == 404

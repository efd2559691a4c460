"""`/metrics`, `/healthz` and `/readyz`, served from a daemon thread beside the service loop."""

import logging
import threading
from http import HTTPStatus
from typing import ClassVar, Self

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

from newswire.observability.server import BackgroundServer, QuietHandler

log = logging.getLogger(__name__)

# /readyz for Prometheus: a scrape still answers while Kafka is down, so `up` stays 1.
READY = Gauge(
    "newswire_ready",
    "1 while the service reaches Kafka and makes progress (/readyz answers 200), else 0 "
    "(/readyz says why).",
)


class Readiness:
    """Whether the service is connected to Kafka and able to make progress, and if not, why."""

    def __init__(self) -> None:
        self._reason: str | None = "starting"
        self._lock = threading.Lock()

    def ready(self) -> None:
        with self._lock:
            self._reason = None
            READY.set(1)

    def not_ready(self, reason: str) -> None:
        with self._lock:
            self._reason = reason
            READY.set(0)

    @property
    def reason(self) -> str | None:
        with self._lock:
            return self._reason


class _Handler(QuietHandler):
    readiness: ClassVar[Readiness]

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.route == "/metrics":
            self.send_body(HTTPStatus.OK, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        elif self.route == "/healthz":
            self.send_body(HTTPStatus.OK, b"ok\n")
        elif self.route == "/readyz":
            reason = self.readiness.reason
            if reason is None:
                self.send_body(HTTPStatus.OK, b"ready\n")
            else:
                body = f"not ready: {reason}\n".encode()
                self.send_body(HTTPStatus.SERVICE_UNAVAILABLE, body)
        else:
            super().do_GET()  # not found


class EndpointServer(BackgroundServer):
    """The service endpoints; port 0 picks a free port."""

    PORT_HINT = "replicas on one host need a port each: --metrics-port or NEWSWIRE_METRICS_PORT"

    def __init__(self, host: str, port: int, readiness: Readiness) -> None:
        super().__init__(host, port, type("Handler", (_Handler,), {"readiness": readiness}))

    def __enter__(self) -> Self:
        super().__enter__()
        log.info("serving endpoints", extra={"port": self.port})
        return self

"""`/metrics`, `/healthz` and `/readyz`, served from a daemon thread beside the service loop."""

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

log = logging.getLogger(__name__)


class Readiness:
    """Whether the service is connected to Kafka and able to make progress, and if not, why."""

    def __init__(self) -> None:
        self._reason: str | None = "starting"
        self._lock = threading.Lock()

    def ready(self) -> None:
        with self._lock:
            self._reason = None

    def not_ready(self, reason: str) -> None:
        with self._lock:
            self._reason = reason

    @property
    def reason(self) -> str | None:
        with self._lock:
            return self._reason


class _Handler(BaseHTTPRequestHandler):
    readiness: ClassVar[Readiness]

    def do_GET(self) -> None:
        if self.path == "/metrics":
            self._send(HTTPStatus.OK, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        elif self.path == "/healthz":
            self._send(HTTPStatus.OK, b"ok\n")
        elif self.path == "/readyz":
            reason = self.readiness.reason
            if reason is None:
                self._send(HTTPStatus.OK, b"ready\n")
            else:
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, f"not ready: {reason}\n".encode())
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would drown the service's own log."""


class EndpointServer:
    """Serves the endpoints until closed; port 0 picks a free port."""

    def __init__(self, host: str, port: int, readiness: Readiness) -> None:
        handler = type("Handler", (_Handler,), {"readiness": readiness})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="endpoints", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> "EndpointServer":
        self._thread.start()
        log.info("serving endpoints", extra={"port": self.port})
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

"""A small HTTP server on a daemon thread, for endpoints that live beside a service loop."""

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

from newswire.errors import ConfigError


class QuietHandler(BaseHTTPRequestHandler):
    """A handler that answers with whole bodies, HEAD as GET without the body, and does not log
    every request. Subclasses answer GET."""

    @property
    def route(self) -> str:
        """The request's path without its query string (`/healthz?probe=1` is `/healthz`)."""
        return urlsplit(self.path).path

    def do_GET(self) -> None:
        self.send_body(HTTPStatus.NOT_FOUND, b"not found\n")

    def do_HEAD(self) -> None:
        # What some load balancers' and uptime checkers' health checks send.
        self.do_GET()

    def send_body(self, status: HTTPStatus, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes and page polls every second would drown the service's own log."""


class BackgroundServer:
    """Serves `handler` on `host:port` (0: a free port) until the `with` block ends.

    A port that cannot be had (another process holds it) is a `ConfigError` that says which, and
    `PORT_HINT`, how to choose another one.
    """

    PORT_HINT = "choose another port"

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        try:
            self._server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            reason = f"{host}:{port}: {exc.strerror or exc}"
            raise ConfigError(f"cannot listen on {reason}; {self.PORT_HINT}") from exc
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

"""The status page `newswire run` serves: the pipeline's core figures, live, without Grafana.

`/` is one static HTML file that polls `/status.json`; the JSON joins what this process saw on
the enriched and dead-letter topics with figures scraped from each service's `/metrics` and
`/readyz`, so the page shows what an operator's dashboard would.
"""

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from importlib.resources import files
from typing import Any, ClassVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

from newswire.observability.server import BackgroundServer, QuietHandler

# metric name → (service, label filter) of the figures the page shows
FIGURES: dict[str, tuple[str, str, dict[str, str]]] = {
    "published": ("ingest", "newswire_ingest_articles_published_total", {}),
    "source_errors": ("ingest", "newswire_ingest_source_errors_total", {}),
    "publish_failures": ("ingest", "newswire_ingest_publish_failures_total", {}),
    "enriched": ("enrich", "newswire_enrich_articles_total", {"outcome": "enriched"}),
    "dead_letters": ("enrich", "newswire_enrich_articles_total", {"outcome": "dead_lettered"}),
    "lag": ("enrich", "newswire_enrich_consumer_lag", {}),
    "latency_sum": ("enrich", "newswire_enrich_end_to_end_latency_seconds_sum", {}),
    "latency_count": ("enrich", "newswire_enrich_end_to_end_latency_seconds_count", {}),
}


Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(base_url: str) -> Samples:
    """Every sample of a `/metrics` page, by sample name."""
    samples: Samples = {}
    text = httpx.get(f"{base_url}/metrics", timeout=2).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def service_figures(services: Mapping[str, str]) -> dict[str, Any]:
    """The page's figures from each service's endpoints; a service that does not answer is down."""
    scraped: dict[str, Samples] = {}
    ready: dict[str, bool] = {}
    for name, base_url in services.items():
        try:
            ready[name] = httpx.get(f"{base_url}/readyz", timeout=2).status_code == HTTPStatus.OK
            scraped[name] = scrape(base_url)
        except httpx.HTTPError:
            ready[name] = False
    figures: dict[str, Any] = {"ready": ready}
    for figure, (service, metric, wanted) in FIGURES.items():
        samples = scraped.get(service, {}).get(metric, [])
        figures[figure] = sum(v for labels, v in samples if wanted.items() <= labels.items())
    count = figures.pop("latency_count")
    total = figures.pop("latency_sum")
    figures["mean_latency_seconds"] = total / count if count else None
    return figures


class _Handler(QuietHandler):
    status: ClassVar[Callable[[], dict[str, Any]]]
    page: ClassVar[bytes]

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.route == "/":
            self.send_body(HTTPStatus.OK, self.page, "text/html; charset=utf-8")
        elif self.route == "/status.json":
            self.send_body(
                HTTPStatus.OK, json.dumps(type(self).status()).encode(), "application/json"
            )
        else:
            super().do_GET()  # not found


class StatusPage(BackgroundServer):
    """Serves the page on `host:port` (0: a free port) until the `with` block ends."""

    PORT_HINT = "set NEWSWIRE_STATUS_PORT to a free port, or to 0 for any"

    def __init__(self, host: str, port: int, status: Callable[[], dict[str, Any]]) -> None:
        page = files("newswire.static").joinpath("status.html").read_bytes()
        handler = type("Handler", (_Handler,), {"status": staticmethod(status), "page": page})
        super().__init__(host, port, handler)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

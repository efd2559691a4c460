"""Reading a running service's endpoints from a test: readiness and metric samples."""

import httpx

from newswire.status_page import Samples
from newswire.status_page import scrape as scrape_url


def scrape(port: int) -> Samples:
    return scrape_url(f"http://127.0.0.1:{port}")


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(v for found, v in samples.get(name, []) if labels.items() <= found.items())


def is_ready(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200

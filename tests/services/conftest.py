"""Fixtures the service tests share."""

from collections.abc import Iterator

import pytest

from tests.services.ingest.farm import FeedFarm
from tests.services.ingest.test_fetch import FeedServer


@pytest.fixture
def farm() -> Iterator[FeedFarm]:
    """Feeds on a local server of this test's own, for `newswire ingest` to poll."""
    with FeedServer() as server:
        yield FeedFarm(server)

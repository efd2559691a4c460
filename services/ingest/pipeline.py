"""The ingest service: read sources, build records, publish them. Only orchestration lives here."""

import logging
import threading
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from newswire.errors import SeedError
from newswire.kafka.clients import make_producer
from newswire.kafka.topics import COMPACTED, TopicSpec, ensure_topics
from newswire.lifecycle import retry_until_stopped
from newswire.observability.endpoints import EndpointServer, Readiness
from schemas import Source, SourceKind, utc_now
from services.ingest import metrics
from services.ingest.normalize import build_article
from services.ingest.publish import Publisher, PublishResult
from services.ingest.seeds import read_seed, seed_files
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)


class SeedScanner:
    """Finds the seed files that are new or changed since the last scan."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._seen: dict[Path, tuple[int, int]] = {}

    def changed(self) -> list[Path]:
        if not self._directory.is_dir():
            log.warning("seeds directory missing", extra={"path": str(self._directory)})
            return []
        changed = []
        for path in seed_files(self._directory):
            stat = path.stat()
            fingerprint = (stat.st_mtime_ns, stat.st_size)
            if self._seen.get(path) != fingerprint:
                self._seen[path] = fingerprint
                changed.append(path)
        return changed


def queue_seeds(paths: list[Path], publisher: Publisher, fetched_at: datetime) -> int:
    """Hands every readable article of `paths` to the publisher; reports the rest. Returns count."""
    queued = 0
    for path in paths:
        source = Source(kind=SourceKind.SEED, path=path.name)
        for result in read_seed(path):
            if isinstance(result, SeedError):
                metrics.SOURCE_ERRORS.labels("seed", result.reason).inc()
                log.warning(
                    "seed skipped",
                    extra={"seed": result.path, "reason": result.reason, "detail": result.detail},
                )
                continue
            publisher.publish(build_article(result, source, fetched_at))
            queued += 1
    return queued


def run(settings: IngestSettings, once: bool, stop: threading.Event) -> int:
    """Publishes seeds (and, later, feeds) until stopped; with `once`, a single pass."""
    readiness = Readiness()
    with ExitStack() as stack:
        stack.enter_context(EndpointServer(settings.metrics_host, settings.metrics_port, readiness))
        specs = [TopicSpec(settings.topics.raw), TopicSpec(settings.topics.ingest_state, COMPACTED)]
        retry_until_stopped(
            stop, "create topics", lambda: ensure_topics(settings.kafka, settings.topics, specs)
        )
        producer = retry_until_stopped(
            stop, "connect producer", lambda: make_producer(settings.kafka, "newswire-ingest")
        )
        stack.callback(producer.close, timeout=5)
        publisher = Publisher(producer, settings.topics.raw, settings.publish_timeout)
        scanner = SeedScanner(settings.seeds_dir)
        readiness.ready()
        while True:
            result = _publish_pass(scanner, publisher)
            if once:
                return 0 if result.failed == 0 else 1
            if stop.wait(settings.seed_scan_interval):
                return 0


def _publish_pass(scanner: SeedScanner, publisher: Publisher) -> PublishResult:
    changed = scanner.changed()
    queued = queue_seeds(changed, publisher, utc_now())
    result = publisher.flush()
    if changed:
        log.info(
            "seeds published",
            extra={
                "files": len(changed),
                "articles": queued,
                "acknowledged": result.acknowledged,
                "failed": result.failed,
            },
        )
    return result

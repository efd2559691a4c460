"""The ingest service's counters, as this process counted them."""

from prometheus_client import REGISTRY


def source_errors(source_kind: str, reason: str) -> float:
    """`newswire_ingest_source_errors_total` for one kind and reason. Its series exists from the
    start: a missing one would hide the first error from rate()."""
    labels = {"source_kind": source_kind, "reason": reason}
    value = REGISTRY.get_sample_value("newswire_ingest_source_errors_total", labels)
    assert value is not None, f"no series for {labels} before its first error"
    return value

"""The enriched topic read by a client that no one here wrote (kcat, on librdkafka), and checked
against the JSON Schema file with a JSON Schema validator, not with newswire's pydantic models."""

import json
import subprocess
from typing import Any

from jsonschema import Draft202012Validator

from schemas.generate import schema_file
from schemas.models import EnrichedArticle
from tests.consumers.conftest import ABORTED, Published


def enriched_schema_validator() -> Draft202012Validator:
    schema = json.loads(schema_file(EnrichedArticle).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    # Formats are checked only when their checker is installed (rfc3339-validator for date-time).
    assert "date-time" in validator.format_checker.checkers
    return validator


def kcat_envelopes(
    kcat: str, published: Published, isolation: str = "read_committed"
) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            kcat, "-C", "-b", published.kafka.bootstrap_servers, "-t", published.topics.enriched,
            "-X", f"isolation.level={isolation}", "-o", "beginning", "-e", "-q", "-J",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_kcat_reads_each_enriched_article_once_valid_keyed_and_labelled(
    published: Published, kcat: str
) -> None:
    validator = enriched_schema_validator()
    envelopes = kcat_envelopes(kcat, published)

    assert sorted(envelope["key"] for envelope in envelopes) == published.ids
    for envelope in envelopes:
        pairs = envelope["headers"]  # kcat -J: ["name", "value", "name", "value", …]
        headers = dict(zip(pairs[::2], pairs[1::2], strict=True))
        assert headers["content-type"] == "application/json"
        assert headers["schema"] == "newswire.article.enriched/1" == EnrichedArticle.SCHEMA
        article = json.loads(envelope["payload"])
        problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(article)]
        assert problems == [], envelope["key"]
        assert article["id"] == envelope["key"]
        assert article["enricher"]["version"] != ABORTED
    by_title = {json.loads(e["payload"])["title"]: json.loads(e["payload"]) for e in envelopes}
    climate = by_title["Merkel and Macron agree on climate plan in Paris"]
    assert {"Angela Merkel", "Paris"} <= {entity["name"] for entity in climate["entities"]}


def test_the_validator_rejects_what_breaks_the_schema(published: Published, kcat: str) -> None:
    validator = enriched_schema_validator()
    article = json.loads(kcat_envelopes(kcat, published)[0]["payload"])
    broken = {**article, "fetched_at": "last Tuesday", "topics": [{"code": "politics"}]}
    del broken["content_hash"]
    messages = {error.message for error in validator.iter_errors(broken)}
    assert "'content_hash' is a required property" in messages
    assert "'last Tuesday' is not a 'date-time'" in messages
    assert any("'politics' does not match" in message for message in messages)


def test_without_read_committed_kcat_sees_what_a_transaction_aborted(
    published: Published, kcat: str
) -> None:
    envelopes = kcat_envelopes(kcat, published, isolation="read_uncommitted")
    versions = [json.loads(envelope["payload"])["enricher"]["version"] for envelope in envelopes]
    assert versions.count(ABORTED) == 1  # why docs/consumers.md insists on read_committed

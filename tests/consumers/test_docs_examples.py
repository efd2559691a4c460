"""Every example of docs/consumers.md, run as a subscriber would run it, on the test's topics.

An example is a fenced block whose info string is `sh example` or `python example`. It runs with
`KAFKA_BOOTSTRAP_SERVERS` and `NEWSWIRE_TOPIC_*` set to the test broker and topics, and with the
default topic names it spells out replaced by the test's; it must exit 0 and print something.
"""

import re
import subprocess
import sys
import uuid
from contextlib import closing
from dataclasses import dataclass

import pytest

from newswire.client import subscribe
from newswire.kafka.clients import make_producer
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import TopicSettings
from schemas import EnrichedArticle
from tests.conftest import REPO
from tests.consumers.conftest import Published

DOC = REPO / "docs" / "consumers.md"
_EXAMPLE = re.compile(r"^```(sh|python) example\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TIMEOUT = 120


@dataclass(frozen=True)
class Example:
    language: str
    code: str
    line: int

    def command(self, topics: TopicSettings) -> list[str]:
        """How to run it on `topics` rather than on the default topic names it spells out."""
        code = self.code
        for name in ("raw", "enriched", "dlq"):
            code = code.replace(TopicSettings.model_fields[name].default, getattr(topics, name))
        if self.language == "sh":
            return ["bash", "-euo", "pipefail", "-c", code]
        return [sys.executable, "-c", code]


def examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    return [
        Example(match[1], match[2], text.count("\n", 0, match.start()) + 1)
        for match in _EXAMPLE.finditer(text)
    ]


def test_the_doc_has_examples_of_both_kinds() -> None:
    found = examples()
    assert {example.language for example in found} == {"sh", "python"}
    assert len(found) >= 8  # a broken info string would silently drop examples


@pytest.mark.parametrize(
    "example", examples(), ids=lambda example: f"{example.language}-line{example.line}"
)
def test_example_runs(example: Example, published: Published) -> None:
    result = subprocess.run(
        example.command(published.topics),
        env=published.env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    where = f"{DOC.name} line {example.line}"
    assert result.returncode == 0, f"{where} failed:\n{result.stderr}"
    assert result.stdout.strip(), f"{where} printed nothing:\n{result.stderr}"
    print(f"{where}:\n{result.stdout}")  # shown with -s, to read what a subscriber would see


def test_the_own_client_example_goes_past_a_record_that_is_not_what_its_header_says(
    published: Published,
) -> None:
    (example,) = [found for found in examples() if "KafkaConsumer(" in found.code]
    topics = published.topics.model_copy(update={"enriched": f"poisoned-{uuid.uuid4().hex[:8]}"})
    ensure_topics(published.kafka, topics, [TopicSpec(topics.enriched)])
    producer = make_producer(published.kafka, "test-poison")
    header = [("schema", EnrichedArticle.SCHEMA.encode())]
    producer.send(topics.enriched, key=None, value=b"{broken", headers=header)
    producer.send(topics.enriched, key=b"tombstone", value=None, headers=header)
    servers = published.kafka.bootstrap_servers
    with closing(
        subscribe(published.topics.enriched, from_beginning=True, bootstrap_servers=servers)
    ) as articles:
        good = next(articles)
    producer.send(topics.enriched, key=good.id.encode(), value=good)
    producer.flush()
    producer.close()

    result = subprocess.run(
        example.command(topics),
        env=published.env() | {"NEWSWIRE_TOPIC_ENRICHED": topics.enriched},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("skipped offset") == 2
    assert good.id in result.stdout

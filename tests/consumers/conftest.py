"""Topics filled once per module as production fills them: ingest's records, enriched by enrich.

The subscribers' tests read them with clients that no one here wrote (kcat), and run the examples
of docs/consumers.md against them.
"""

import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from newswire.broker import EmbeddedBroker
from newswire.kafka.clients import make_producer
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.settings import KafkaSettings, TopicSettings
from schemas import EnrichedArticle, Enricher, RawArticle, Source, SourceKind
from services.enrich.consume import EnrichService
from services.enrich.settings import EnrichSettings
from services.enrich.tag import Tagger
from services.ingest.normalize import ArticleDraft, build_article
from tests.broker_fixture import ExternalBroker
from tests.conftest import REPO

ABORTED = "aborted"  # the enricher version of the record written by a transaction that aborted
DRAFTS = [
    ArticleDraft(
        title="Merkel and Macron agree on climate plan in Paris",
        body="German Chancellor Angela Merkel met French President Emmanuel Macron in Paris on "
        "Monday to agree a joint climate policy before the European Union summit.",
        url="https://news.test/climate-plan",
        categories=["Politics"],
    ),
    ArticleDraft(
        title="NATO ministers meet in Brussels",
        body="Defence ministers of NATO met in Brussels to discuss support for Ukraine.",
        url="https://news.test/nato-brussels",
    ),
    ArticleDraft(
        title="Bayern gewinnt in Berlin",
        body="Der FC Bayern München hat am Samstag in Berlin gegen Hertha BSC gewonnen.",
        url="https://news.test/bayern",
        language="de",
    ),
]


@dataclass(frozen=True)
class Published:
    kafka: KafkaSettings
    topics: TopicSettings
    ids: list[str]  # of the articles enriched
    dead_letters: int

    def env(self) -> dict[str, str]:
        """The environment of a subscriber's process: this broker, these topics."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "KAFKA_"))}
        env.update(
            PATH=f"{REPO / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            KAFKA_BOOTSTRAP_SERVERS=self.kafka.bootstrap_servers,
            NEWSWIRE_TOPIC_RAW=self.topics.raw,
            NEWSWIRE_TOPIC_ENRICHED=self.topics.enriched,
            NEWSWIRE_TOPIC_DLQ=self.topics.dlq,
        )
        return env


@pytest.fixture(scope="module")
def published(kafka_broker: EmbeddedBroker | ExternalBroker) -> Published:
    kafka = KafkaSettings(bootstrap_servers=kafka_broker.bootstrap_servers)
    suffix = uuid.uuid4().hex[:8]
    topics = TopicSettings(
        raw=f"raw-{suffix}", enriched=f"enriched-{suffix}", dlq=f"dlq-{suffix}", partitions=3
    )
    ensure_topics(kafka, topics, [TopicSpec(topics.raw)])
    source = Source(kind=SourceKind.RSS, feed_url="https://news.test/rss", site="news.test")
    articles = [build_article(draft, source, datetime.now(UTC)) for draft in DRAFTS]
    producer = make_producer(kafka, "test-ingest")
    for article in articles:
        producer.send(topics.raw, key=article.id.encode(), value=article)
    producer.send(topics.raw, key=b"poison", value=b"not json at all")
    producer.flush()
    producer.close()

    settings = EnrichSettings(
        kafka=kafka, topics=topics, metrics_port=0, group_id=f"enrich-{suffix}"
    )
    EnrichService(settings, Tagger(batch_size=8), threading.Event()).run(until_idle=1)
    _abort_a_transaction(kafka, topics.enriched, articles[0])
    return Published(kafka, topics, sorted(article.id for article in articles), dead_letters=1)


def _abort_a_transaction(kafka: KafkaSettings, topic: str, article: RawArticle) -> None:
    """Leaves an enrichment of `article` that a read_committed reader must skip."""
    ghost = EnrichedArticle(
        **article.model_dump(),
        enriched_at=datetime.now(UTC),
        enricher=Enricher(version=ABORTED, models={}),
    )
    producer = make_producer(kafka, "test-aborted", transactional_id=f"aborted-{uuid.uuid4().hex}")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(topic, key=ghost.id.encode(), value=ghost)
    producer.flush()
    producer.abort_transaction()
    producer.close()


@pytest.fixture(scope="session")
def kcat() -> str:
    """kcat, which must be installed: `scripts/ci-system-deps.sh` installs it (Debian's kcat)."""
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not installed: run scripts/ci-system-deps.sh (apt-get install kcat)")
    return path

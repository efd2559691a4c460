"""Creates the topics a service needs, so no service ever fails because one is missing."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from newswire.errors import KafkaUnavailableError
from newswire.kafka.clients import make_admin
from newswire.settings import KafkaSettings, TopicSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    configs: dict[str, str] = field(default_factory=dict)


COMPACTED = {"cleanup.policy": "compact"}


def ensure_topics(kafka: KafkaSettings, topics: TopicSettings, specs: Iterable[TopicSpec]) -> None:
    """Creates each missing topic with the configured partitions and replication."""
    admin = make_admin(kafka, "newswire-admin")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                spec.name,
                num_partitions=topics.partitions,
                replication_factor=topics.replication_factor,
                topic_configs=spec.configs,
            )
            for spec in specs
            if spec.name not in existing
        ]
        if missing:
            _create(admin, missing)
    except KafkaError as exc:
        raise KafkaUnavailableError(f"cannot create topics: {exc}") from exc
    finally:
        admin.close()


def _create(admin: KafkaAdminClient, missing: list[NewTopic]) -> None:
    try:
        admin.create_topics(missing)
    except TopicAlreadyExistsError:
        return  # another replica created it between our list and our create
    log.info("created topics", extra={"topics": [topic.name for topic in missing]})

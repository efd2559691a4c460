"""Creates the topics a service needs, so no service ever fails because one is missing."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from newswire.errors import ConfigError, KafkaUnavailableError
from newswire.kafka.clients import make_admin
from newswire.settings import KafkaSettings, TopicSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    configs: dict[str, str] = field(default_factory=dict)
    # The largest record the service writes to it (NEWSWIRE_MAX_RECORD_BYTES), if it writes any:
    # a topic that takes less would refuse such a record, and its batch be tried again forever.
    max_record_bytes: int | None = None


COMPACTED = {"cleanup.policy": "compact"}


def ensure_topics(kafka: KafkaSettings, topics: TopicSettings, specs: Iterable[TopicSpec]) -> None:
    """Creates each missing topic with the configured partitions and replication, then checks
    that each takes the records the service writes to it (`ConfigError` if not)."""
    specs = list(specs)
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
        _check_record_limits(admin, [spec for spec in specs if spec.max_record_bytes])
    except KafkaError as exc:
        raise KafkaUnavailableError(f"cannot create topics: {exc}") from exc
    finally:
        admin.close()


def _check_record_limits(admin: KafkaAdminClient, specs: list[TopicSpec]) -> None:
    if not specs:
        return
    resources = [ConfigResource(ConfigResourceType.TOPIC, spec.name) for spec in specs]
    described = admin.describe_configs(resources, config_filter="all")["topic"]
    for spec in specs:
        limit = int(described[spec.name]["max.message.bytes"]["value"])
        if spec.max_record_bytes and limit < spec.max_record_bytes:
            raise ConfigError(
                f"NEWSWIRE_MAX_RECORD_BYTES={spec.max_record_bytes} is more than topic "
                f"{spec.name!r} takes (max.message.bytes={limit}): lower it, or raise the "
                "topic's limit"
            )


def _create(admin: KafkaAdminClient, missing: list[NewTopic]) -> None:
    """Creates `missing` and returns once brokers serve them: KRaft confirms a creation before
    brokers know of it, and a client asking at once finds a topic with no partitions."""
    try:
        admin.create_topics(missing, wait_for_metadata=True)
    except TopicAlreadyExistsError:
        # Another replica created it between our list and our create, a moment ago.
        admin.wait_for_topics([topic.name for topic in missing])
        return
    log.info("created topics", extra={"topics": [topic.name for topic in missing]})

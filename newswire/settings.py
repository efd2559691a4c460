"""Settings both services share: the Kafka connection and the topics.

Each service has one frozen settings class of its own (`services/*/settings.py`) that nests these.
Values come from init arguments (command-line flags), then the environment, then the defaults.
Kafka's settings keep their usual `KAFKA_*` names; everything else is `NEWSWIRE_*`.
"""

import math
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

Compression = Literal["none", "gzip", "lz4", "zstd", "snappy"]


class KafkaSettings(BaseSettings):
    """How to reach the cluster and how to produce to it."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", frozen=True, extra="ignore")

    bootstrap_servers: str = "localhost:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_plain_username: str | None = None
    sasl_plain_password: SecretStr | None = None
    # Chosen by bench.publish (docs/benchmarks.md): over four times fewer bytes than none, for
    # 16-41 µs more producer and consumer CPU per article (two make bench runs).
    compression_type: Compression = "zstd"
    linger_ms: int = Field(default=5, ge=0)
    request_timeout_ms: int = Field(default=30_000, ge=1_000)
    # How stale a client's view of the cluster may grow: partitions added to a topic are seen
    # within this. Kafka's default.
    metadata_max_age_ms: int = Field(default=300_000, ge=1_000)

    def client_config(self) -> dict[str, object]:
        """The keyword arguments every kafka-python client takes."""
        config: dict[str, object] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
            "metadata_max_age_ms": self.metadata_max_age_ms,
        }
        if self.sasl_mechanism:
            config["sasl_mechanism"] = self.sasl_mechanism
            config["sasl_plain_username"] = self.sasl_plain_username
            if self.sasl_plain_password is not None:
                config["sasl_plain_password"] = self.sasl_plain_password.get_secret_value()
        return config


class TopicSettings(BaseSettings):
    """Topic names and how the services create the ones that are missing."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_TOPIC_", frozen=True, extra="ignore")

    raw: str = "news.articles.raw"
    enriched: str = "news.articles.enriched"
    dlq: str = "news.articles.dlq"
    ingest_state: str = "news.ingest.state"
    ingest_feeds: str = "news.ingest.feeds"
    partitions: int = Field(
        default=6,
        ge=1,
        description="The ceiling of parallelism: enrich processes per raw topic, ingest "
        "replicas per feed list (whose topic and the state topic must have as many).",
    )
    replication_factor: int = Field(default=1, ge=1)

    def environment(self) -> dict[str, str]:
        """These settings as the `NEWSWIRE_TOPIC_*` variables a child process reads back."""
        return {f"NEWSWIRE_TOPIC_{name.upper()}": str(value) for name, value in self}


class ServiceSettings(BaseSettings):
    """What every service has: Kafka, topics, and where it serves its endpoints."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", frozen=True, extra="ignore")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    topics: TopicSettings = Field(default_factory=TopicSettings)
    metrics_host: str = "0.0.0.0"  # noqa: S104 - a container's endpoints must be reachable
    metrics_port: int = Field(ge=0, le=65535)
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"],
        BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
    ] = "INFO"
    log_format: Literal["json", "text"] = "json"
    session_timeout: float = Field(
        default=10.0,
        gt=0,
        description="A replica silent this long (crashed) loses its partitions to the others.",
    )
    once_kafka_wait: float = Field(
        default=60.0,
        gt=0,
        description="How long a one-shot run (`ingest --once`, `enrich --until-idle`, `replay`) "
        "waits for Kafka before it gives up (a one-shot job must end); a service waits as long as "
        "it takes.",
    )

    @property
    def heartbeat_interval_ms(self) -> int:
        """A third of the session timeout (Kafka's advice), and no more than Kafka's default."""
        return min(3000, math.ceil(self.session_timeout * 1000 / 3))

    def kafka_wait(self, one_shot: bool) -> float | None:
        """How long a run waits for Kafka before it gives up: forever for a service."""
        return self.once_kafka_wait if one_shot else None


def settings_error(exc: ValidationError) -> str | None:
    """A one-line account of a settings class's error that names the variable to fix, e.g.
    "invalid setting NEWSWIRE_METRICS_PORT: Input should be a valid integer, got 'abc'"; None
    when `exc` is not about settings (a bug then, whose traceback should show)."""
    settings = _settings_classes().get(exc.title)
    if settings is None:
        return None
    error = exc.errors()[0]
    message = str(error.get("ctx", {}).get("error", error["msg"]))  # without "Value error, "
    if not error["loc"]:  # a check across fields
        return f"invalid settings ({settings.__name__}): {message}"
    name = str(error["loc"][0])
    if name in settings.model_fields:
        name = f"{settings.model_config.get('env_prefix', '')}{name}".upper()
    # else the field's own variable name (`validation_alias`), which pydantic reports as given
    return f"invalid setting {name}: {message}, got {error['input']!r}"


def _settings_classes() -> dict[str, type[BaseSettings]]:
    found: dict[str, type[BaseSettings]] = {}
    pending = [BaseSettings]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found[subclass.__name__] = subclass
            pending.append(subclass)
    return found

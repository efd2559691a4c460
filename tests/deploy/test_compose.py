"""docker-compose.yml is valid, pinned, scalable, and agrees with the files it mounts and serves."""

import json
import re
import tomllib
from importlib.resources import files
from pathlib import PurePosixPath
from typing import Any

import jsonschema
import pytest

from newswire.broker.version import KAFKA_VERSION
from services.ingest.feeds import load_feeds
from tests.conftest import REPO
from tests.deploy.files import DEPLOY, DOCKERFILE, compose, load_yaml, prometheus_config

# Versions like 4.1.1 or v3.5.0, optionally with a suffix such as -slim: never `latest`.
VERSION_TAG = re.compile(r"^v?\d+(\.\d+)+([-.][\w.]+)?$")
NEWSWIRE_SERVICES = ("ingest", "enrich")


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def environment(service: str) -> dict[str, str]:
    env: dict[str, str] = services()[service].get("environment", {})
    return env


def bind_mounts(service: str) -> dict[str, str]:
    """Container path -> host path, for the mounts that come from this repository."""
    mounts = {}
    for volume in services()[service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            mounts[target] = source
    return mounts


def compose_spec_schema() -> dict[str, Any]:
    """The Compose Specification's schema as vendored (and kept current) by check-jsonschema."""
    vendored = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema: dict[str, Any] = json.loads(vendored.read_text(encoding="utf-8"))
    return schema


def test_compose_file_validates_against_the_compose_specification() -> None:
    schema = compose_spec_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator_class(schema).iter_errors(compose())
    ]
    assert errors == []


def test_every_image_is_pinned_to_a_version() -> None:
    for name, service in services().items():
        image = service.get("image")
        assert image, f"{name} names no image"
        _, _, tag = image.rpartition(":")
        assert VERSION_TAG.match(tag), f"{name}: {image} is not pinned to a version"


def test_kafka_image_is_the_version_the_embedded_broker_runs() -> None:
    assert services()["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"


def test_both_services_run_one_image_built_here_and_tagged_with_the_project_version() -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for name in NEWSWIRE_SERVICES:
        service = services()[name]
        assert service["image"] == f"newswire:{version}"
        assert service["build"] == "."
        # Never a registry's image that happens to share the name.
        assert service["pull_policy"] == "build"
    assert services()["ingest"]["command"] == ["ingest"]
    assert services()["enrich"]["command"] == ["enrich"]


def test_scaled_services_have_no_fixed_name_or_host_port() -> None:
    for name, service in services().items():
        assert "container_name" not in service, f"{name} could not be scaled"
    for name in NEWSWIRE_SERVICES:
        assert "ports" not in services()[name], f"replicas of {name} would fight over a host port"


def test_services_start_in_order_once_what_they_need_is_healthy() -> None:
    dockerfile_healthcheck = "HEALTHCHECK" in DOCKERFILE.read_text()
    for name, service in services().items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, f"{name} -> {dependency}"
            needed = services()[dependency]
            has_healthcheck = "healthcheck" in needed or (
                needed.get("build") == "." and dockerfile_healthcheck
            )
            assert has_healthcheck, f"{name} waits on {dependency}, which has no healthcheck"
    for name in NEWSWIRE_SERVICES:
        assert "kafka" in services()[name]["depends_on"]


def test_every_service_the_scrape_configuration_resolves_exists_on_its_metrics_port() -> None:
    ports = {
        name: sd["port"]
        for job in prometheus_config()["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
        for name in sd["names"]
    }
    assert set(ports) == set(NEWSWIRE_SERVICES)
    for name, port in ports.items():
        assert name in services()
        assert environment(name)["NEWSWIRE_METRICS_PORT"] == str(port)


def test_kafka_is_a_single_kraft_node_reachable_by_its_service_name() -> None:
    env = environment("kafka")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    for name in NEWSWIRE_SERVICES:
        assert environment(name)["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    internal_topics = {
        key: value
        for key, value in env.items()
        if key.endswith(("_REPLICATION_FACTOR", "_MIN_ISR"))
    }
    assert set(internal_topics) == {
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
    }
    assert set(internal_topics.values()) == {"1"}
    assert f"kafka-data:{env['KAFKA_LOG_DIRS']}" in services()["kafka"]["volumes"]
    healthcheck = " ".join(services()["kafka"]["healthcheck"]["test"])
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092" in (
        healthcheck
    )


def test_every_mounted_file_exists() -> None:
    for name in services():
        for target, source in bind_mounts(name).items():
            assert (REPO / source).exists(), f"{name} mounts {source} at {target}"


def test_ingest_reads_the_mounted_seeds_and_feeds() -> None:
    mounts = bind_mounts("ingest")
    env = environment("ingest")
    assert mounts[env["NEWSWIRE_SEEDS_DIR"]] == "./seeds"
    # The feeds file's directory is mounted, not the file: a file mount stays bound to the file
    # it started with, and edits saved by renaming a new file over it would never be seen.
    feeds = PurePosixPath(env["NEWSWIRE_FEEDS_FILE"])
    assert mounts[str(feeds.parent)] == "./deploy/feeds"
    assert (DEPLOY / "feeds" / feeds.name).is_file()


def test_sample_feeds_file_loads_and_names_every_feed() -> None:
    feeds = load_feeds(DEPLOY / "feeds" / "feeds.yaml")
    assert feeds
    assert all(feed.url.startswith("https://") and feed.interval for feed in feeds)
    # Names label the feed metrics on the dashboard: chosen, not derived from URLs.
    assert all("name" in entry for entry in load_yaml(DEPLOY / "feeds" / "feeds.yaml")["feeds"])


@pytest.mark.parametrize(
    ("service", "directory"),
    [("prometheus", "prometheus"), ("grafana", "grafana/provisioning")],
)
def test_monitoring_services_mount_their_provisioning(service: str, directory: str) -> None:
    assert f"./deploy/{directory}" in bind_mounts(service).values()

"""The single-node KRaft configuration."""

import base64
from pathlib import Path

from newswire.broker.config import BrokerConfig, host_port, log4j2_properties, new_cluster_id


def parse_properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_server_properties_for_one_combined_node() -> None:
    config = BrokerConfig("127.0.0.1", 9092, 9093, Path("/data/kraft"), num_partitions=3)

    settings = parse_properties(config.server_properties())

    assert settings["process.roles"] == "broker,controller"
    assert settings["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert settings["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert settings["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092"
    assert settings["log.dirs"] == "/data/kraft"
    assert settings["num.partitions"] == "3"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
    ):
        assert settings[key] == "1"
    assert settings["group.initial.rebalance.delay.ms"] == "0"
    assert config.bootstrap_servers == "127.0.0.1:9092"


def test_ipv6_hosts_are_bracketed() -> None:
    assert host_port("::1", 9092) == "[::1]:9092"


def test_log4j2_writes_to_the_given_file_only() -> None:
    text = log4j2_properties(Path("/data/logs/server.log"))

    assert "appender.server.fileName = /data/logs/server.log" in text
    assert "Console" not in text


def test_cluster_ids_are_kafka_uuids() -> None:
    ids = {new_cluster_id() for _ in range(100)}

    assert len(ids) == 100
    for cluster_id in ids:
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16

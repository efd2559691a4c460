"""The one place the embedded broker's Apache Kafka version is pinned."""

KAFKA_VERSION = "4.1.1"
"""Apache Kafka release the embedded broker runs; docker-compose.yml must use the same."""

SCALA_VERSION = "2.13"
"""Scala binary version of the `kafka_<scala>` server artifact."""

"""The files a single-node KRaft broker runs from: `server.properties` and its log4j2 config."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from pathlib import Path

NODE_ID = 1


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class BrokerConfig:
    """One node acting as both broker and controller, listening on `host` only."""

    host: str
    port: int
    controller_port: int
    log_dirs: Path
    num_partitions: int = 1

    @property
    def bootstrap_servers(self) -> str:
        return host_port(self.host, self.port)

    def server_properties(self) -> str:
        client = f"PLAINTEXT://{host_port(self.host, self.port)}"
        controller = host_port(self.host, self.controller_port)
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(NODE_ID),
            # A static voter set: unlike a dynamic quorum, it does not record the controller's
            # address in the metadata log, so a restart on the same data dir may use new ports.
            "controller.quorum.voters": f"{NODE_ID}@{controller}",
            "listeners": f"{client},CONTROLLER://{controller}",
            "advertised.listeners": client,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": self.log_dirs.as_posix(),
            "num.partitions": str(self.num_partitions),
            # One node: every internal topic must be satisfied by a single replica, or
            # consumer groups, transactions and share groups never become available.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # The defaults (50 partitions each) only slow the first group or transaction down.
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.num.partitions": "1",
            # No other member is ever coming; rebalancing at once keeps tests fast.
            "group.initial.rebalance.delay.ms": "0",
            # A producer that died with a transaction open holds the feeds it wrote state for
            # until the broker aborts it: look for timed-out transactions every second, not 10.
            "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())


def log4j2_properties(log_file: Path) -> str:
    """Broker logs go to `log_file` (rolled at 10 MB, 3 kept), never to our console."""
    name = log_file.as_posix()
    # Kafka stops on its own shutdown hook and still logs from it; log4j's hook would close
    # the appender first and warn on the JVM's stdout.
    return f"""\
status = warn
shutdownHook = disable
appender.server.type = RollingFile
appender.server.name = server
appender.server.fileName = {name}
appender.server.filePattern = {name}.%i
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
appender.server.policies.type = Policies
appender.server.policies.size.type = SizeBasedTriggeringPolicy
appender.server.policies.size.size = 10MB
appender.server.strategy.type = DefaultRolloverStrategy
appender.server.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


def new_cluster_id() -> str:
    """A random cluster id in Kafka's `Uuid` text form (URL-safe base64, no padding)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        # Kafka avoids ids starting with "-": command lines would read them as options.
        if not text.startswith("-"):
            return text

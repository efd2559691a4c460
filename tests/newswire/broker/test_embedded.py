"""The embedded broker is real Kafka: records, transactions, restarts and start failures."""

import fcntl
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from newswire.broker import EmbeddedBroker
from newswire.broker.embedded import (
    ABANDONED_AFTER_SECONDS,
    DATA_DIR_LOCK,
    TEMPORARY_PREFIX,
    _answers,
    remove_abandoned_data_dirs,
)
from newswire.broker.jars import default_cache_dir
from newswire.errors import BrokerError
from tests.broker_fixture import START_TIMEOUT, ExternalBroker
from tests.waiting import wait_for

Broker = EmbeddedBroker | ExternalBroker


def create_topic(bootstrap_servers: str) -> str:
    topic = f"broker-test-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        admin.create_topics([topic], wait_for_metadata=True)
    finally:
        admin.close()
    return topic


def read_all(
    bootstrap_servers: str, topic: str, expected: int, isolation_level: str = "read_uncommitted"
) -> list[tuple[bytes, bytes]]:
    """Every record of partition 0 once `expected` have arrived, or what came within 30 s."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        isolation_level=isolation_level,
    )
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        records: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend((record.key, record.value) for record in batch)
        return records
    finally:
        consumer.close()


def test_produce_and_consume(kafka_broker: Broker) -> None:
    topic = create_topic(kafka_broker.bootstrap_servers)
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        producer.send(topic, key=b"id-1", value=b'{"title": "hello"}').get(timeout=30)
    finally:
        producer.close()

    assert read_all(kafka_broker.bootstrap_servers, topic, 1) == [(b"id-1", b'{"title": "hello"}')]


def test_transactions_commit_and_abort(kafka_broker: Broker) -> None:
    topic = create_topic(kafka_broker.bootstrap_servers)
    producer = KafkaProducer(
        bootstrap_servers=kafka_broker.bootstrap_servers,
        transactional_id=f"broker-test-{uuid.uuid4().hex[:8]}",
    )
    try:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(topic, key=b"id-1", value=b"committed")
        producer.commit_transaction()
        producer.begin_transaction()
        producer.send(topic, key=b"id-2", value=b"aborted")
        producer.flush()
        producer.abort_transaction()
        producer.begin_transaction()
        producer.send(topic, key=b"id-3", value=b"committed too")
        producer.commit_transaction()
    finally:
        producer.close()

    committed = read_all(kafka_broker.bootstrap_servers, topic, 2, "read_committed")
    assert committed == [(b"id-1", b"committed"), (b"id-3", b"committed too")]


def test_records_survive_a_restart_on_the_same_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path.parent)
    with EmbeddedBroker(data_dir=Path(tmp_path.name)) as broker:
        topic = create_topic(broker.bootstrap_servers)
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers)
        try:
            producer.send(topic, key=b"id-1", value=b"kept").get(timeout=30)
        finally:
            producer.close()
        settings = (tmp_path / "server.properties").read_text()
        with pytest.raises(BrokerError, match="is in use by another broker"):
            EmbeddedBroker(data_dir=tmp_path).start(timeout=START_TIMEOUT)
        assert (tmp_path / "server.properties").read_text() == settings  # left as it was
    assert not broker.running
    assert (tmp_path / "kraft" / ".kafka_cleanshutdown").exists()
    assert list(default_cache_dir().glob("broker-*.jsa")), "a clean stop leaves a class archive"

    with EmbeddedBroker(data_dir=Path(tmp_path.name)) as broker:
        assert read_all(broker.bootstrap_servers, topic, 1) == [(b"id-1", b"kept")]
    server_log = (tmp_path / "logs" / "server.log").read_text(encoding="utf-8")
    assert server_log.count("Kafka Server started") == 2


def test_temporary_data_dir_is_removed_on_stop() -> None:
    broker = EmbeddedBroker()
    broker.start(timeout=START_TIMEOUT)
    data_dir = broker.data_dir
    assert broker.running
    assert data_dir.is_dir()
    broker.stop()
    assert not broker.running
    assert not data_dir.exists()


def test_a_broker_that_cannot_start_raises_with_its_log(tmp_path: Path) -> None:
    (tmp_path / "kraft").mkdir()
    (tmp_path / "kraft" / "meta.properties").write_text("version=1\nnode.id=not-a-number\n")

    with pytest.raises(BrokerError, match="exited with code") as raised:
        EmbeddedBroker(data_dir=tmp_path).start(timeout=START_TIMEOUT)
    assert "last lines of" in str(raised.value)


def test_a_port_in_use_is_refused(kafka_broker: Broker) -> None:
    if not isinstance(kafka_broker, EmbeddedBroker):
        pytest.skip("needs the embedded broker's port")
    port = int(kafka_broker.bootstrap_servers.rsplit(":", 1)[1])
    with pytest.raises(BrokerError, match="in use"):
        EmbeddedBroker(port=port).start()


def test_the_broker_does_not_outlive_the_python_process() -> None:
    code = (
        "from newswire.broker import EmbeddedBroker\n"
        "broker = EmbeddedBroker()\n"
        "broker.start()\n"
        "print(broker.bootstrap_servers, broker.data_dir, flush=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    bootstrap_servers, data_dir = result.stdout.split()
    host, port = bootstrap_servers.rsplit(":", 1)

    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=2).close()
    assert not Path(data_dir).exists()


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_python_process_killed_outright_does_not_leave_its_broker_running(
    tmp_path: Path,
) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from newswire.broker import EmbeddedBroker\n"
        "broker = EmbeddedBroker(data_dir=Path(sys.argv[1]))\n"
        "print(broker.start(), flush=True)\n"
        "time.sleep(600)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        host, port = owner.stdout.readline().strip().rsplit(":", 1)
        assert _answers(host, int(port), timeout=2)
    finally:
        owner.kill()  # no atexit, no stop(): only the kernel can tell the JVM
        owner.wait(timeout=10)

    wait_for(lambda: not _answers(host, int(port), timeout=2), 30, "the broker to stop")
    server_log = tmp_path / "logs" / "server.log"

    def shut_down() -> bool:
        return "shut down completed" in server_log.read_text(encoding="utf-8")

    wait_for(shut_down, 30, "a clean shutdown, as after SIGTERM")


def test_an_unusable_data_dir_is_a_broker_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")

    with pytest.raises(BrokerError, match="data directory"):
        EmbeddedBroker(data_dir=not_a_dir).start()


def test_a_temporary_data_dir_left_by_a_process_killed_outright_goes_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = (
        "import time\n"
        "from newswire.broker import EmbeddedBroker\n"
        "broker = EmbeddedBroker()\n"
        "broker.start()\n"
        "print(broker.data_dir, broker._process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        printed, pid = owner.stdout.readline().rsplit(maxsplit=1)
        left, jvm = Path(printed), int(pid)
        assert left.parent == tmp_path
        # Held still, the owner's JVM stands for one that takes its time over its shutdown.
        os.kill(jvm, signal.SIGSTOP)
        try:
            owner.kill()  # as a second Ctrl-C does: no stop(), no clean-up
            owner.wait(timeout=10)
            assert not _unlocked(left), "the JVM holds the lock its owner took"
            _age(left / DATA_DIR_LOCK, ABANDONED_AFTER_SECONDS)
            remove_abandoned_data_dirs(tmp_path)
            assert (left / "kraft").is_dir(), "removed under a JVM still using it"
        finally:
            os.kill(jvm, signal.SIGCONT)  # and the SIGTERM sent at its owner's death arrives
    finally:
        owner.kill()
        owner.wait(timeout=10)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    wait_for(lambda: _unlocked(left), 60, "the killed owner's JVM to end")

    broker = EmbeddedBroker()
    broker.start(timeout=START_TIMEOUT)
    try:
        assert not left.exists()
        assert broker.data_dir.parent == tmp_path
    finally:
        broker.stop()


def test_only_temporary_data_dirs_long_unlocked_are_removed(tmp_path: Path) -> None:
    def data_dir(name: str, temporary: bool = True, age: float = 600) -> Path:
        made = tmp_path / f"{TEMPORARY_PREFIX}{name}"
        (made / "kraft").mkdir(parents=True)
        if temporary:
            (made / "newswire.temporary").touch()
        _age(made / DATA_DIR_LOCK, age)
        return made

    abandoned = data_dir("abandoned")
    in_use = data_dir("in-use")
    starting = data_dir("starting", age=1)
    given = data_dir("given", temporary=False)  # a --data-dir that happens to look temporary
    with (in_use / DATA_DIR_LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        remove_abandoned_data_dirs(tmp_path)
    assert not abandoned.exists()
    assert in_use.is_dir() and starting.is_dir() and given.is_dir()


def _unlocked(data_dir: Path) -> bool:
    """Whether no process, the broker's owner or its JVM, holds the data directory's lock."""
    with (data_dir / DATA_DIR_LOCK).open("r") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
    return True


def _age(lock: Path, seconds: float) -> None:
    """Makes `lock` (created if missing) look `seconds` older than now, plus a margin."""
    lock.touch()
    then = time.time() - seconds - 5
    os.utime(lock, (then, then))

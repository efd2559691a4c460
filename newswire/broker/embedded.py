"""A real single-node Apache Kafka broker (KRaft, broker and controller) in a child JVM.

Data directory layout (`data_dir`, or a temporary directory removed on `stop()`, or by a later
start when its owner ended without `stop()`):

    newswire.lock                          locked while a broker's owner or its JVM lives
    newswire.temporary                     only in a temporary directory
    server.properties, log4j2.properties   rewritten at every start
    kraft/                                 Kafka's log.dirs: topics and the metadata log
    logs/server.log                        the broker's log4j2 output
    logs/jvm.out                           anything the JVM itself prints
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from newswire.broker.cds import ClassArchive
from newswire.broker.config import BrokerConfig, host_port, log4j2_properties, new_cluster_id
from newswire.broker.jars import default_cache_dir, ensure_jars, load_manifest
from newswire.broker.java import JavaRuntime, find_java
from newswire.broker.version import KAFKA_VERSION
from newswire.errors import BrokerError
from newswire.lifecycle import ends_with_this_process

log = logging.getLogger(__name__)

JVM_OPTIONS = ("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true")
# The storage tool runs for a second: the optimising compiler would only slow it down.
_TOOL_JVM_OPTIONS = ("-Xmx256m", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")
_POLL_SECONDS = 0.2
# In the data directory; held (flock) by the Python process whose broker uses the directory,
# and by the broker's JVM, which inherits it: the JVM of an owner killed outright shuts down for
# some seconds more, writing in the directory, and holds it until its very end.
DATA_DIR_LOCK = "newswire.lock"
TEMPORARY_PREFIX = "newswire-kafka-"
_TEMPORARY_MARK = "newswire.temporary"  # in a data directory this module made, and removes
# A temporary data directory whose lock nobody holds was left by a process that ended without
# `stop()`, if its lock is this old: a younger one may be a start that has not locked it yet.
ABANDONED_AFTER_SECONDS = 60.0
_API_VERSIONS = 18
_PROBE_ID = 0x6E777331


class EmbeddedBroker:
    """Apache Kafka `KAFKA_VERSION` on `host`, started by `start()` or `with`.

    `port=None` (or 0) picks a free port at each start. `data_dir=None` uses a temporary directory
    that `stop()` removes; a given `data_dir` keeps topics and records across restarts.
    """

    def __init__(
        self,
        port: int | None = None,
        data_dir: Path | None = None,
        host: str = "127.0.0.1",
        *,
        num_partitions: int = 1,
    ) -> None:
        self.port = port
        self.host = host
        self.num_partitions = num_partitions
        # Absolute, as the JVM runs in the data directory and reads every path from there.
        self._given_data_dir = data_dir.resolve() if data_dir is not None else None
        self._data_dir: Path | None = None
        self._config: BrokerConfig | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._jvm_out: IO[bytes] | None = None
        self._archive: ClassArchive | None = None
        self._data_dir_lock: IO[str] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """`host:port` of the running broker."""
        if self._config is None:
            raise RuntimeError("the embedded broker is not started")
        return self._config.bootstrap_servers

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            raise RuntimeError("the embedded broker is not started")
        return self._data_dir

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "server.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 60.0) -> str:
        """Start the broker and wait until it answers; return `bootstrap_servers`.

        The first start on a machine downloads the broker's jars (not counted in `timeout`).
        Raises `BrokerError`, with the tail of the broker's log where there is one.
        """
        if self._process is not None:
            raise RuntimeError("the embedded broker is already started")
        java = find_java()
        cache_dir = default_cache_dir()
        classpath = ensure_jars(load_manifest(), cache_dir)
        deadline = time.monotonic() + timeout
        if self.port and not _port_free(self.host, self.port):
            raise BrokerError(f"cannot start Kafka: {host_port(self.host, self.port)} is in use")
        self._data_dir = self._given_data_dir or _temporary_data_dir()
        try:
            self._claim_data_dir()
            config = self._write_config()
            if not (config.log_dirs / "meta.properties").exists():
                self._format(java, classpath, deadline)
            self._archive = ClassArchive(cache_dir, java, classpath)
            process = self._launch(java, classpath, self._archive.jvm_options())
            self._wait_ready(process, config, deadline, timeout)
            self._config = config
        except BaseException:
            self.stop(timeout=5.0)
            raise
        atexit.register(self.stop)
        log.info("Kafka %s ready at %s", KAFKA_VERSION, self.bootstrap_servers)
        return self.bootstrap_servers

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM for a clean shutdown, SIGKILL after `timeout` seconds. Safe to repeat."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        clean = False
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
                clean = True
            except subprocess.TimeoutExpired:
                log.warning("Kafka did not stop within %.0fs; killing it", timeout)
                process.kill()
                process.wait()
        if self._archive is not None:
            if clean and self._config is not None:
                self._archive.keep()
            else:
                self._archive.discard()
            self._archive = None
        if self._jvm_out is not None:
            self._jvm_out.close()
            self._jvm_out = None
        self._config = None
        if self._data_dir_lock is not None:
            self._data_dir_lock.close()  # which releases the lock
            self._data_dir_lock = None
        if self._given_data_dir is None and self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    def __enter__(self) -> Self:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _claim_data_dir(self) -> None:
        """Holds a lock on the data directory while this broker uses it. Another broker given
        the same directory would rewrite this one's configuration before Kafka's own lock
        stopped it, and fail with a log tail that buries the reason."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            lock = (self.data_dir / DATA_DIR_LOCK).open("a")
        except OSError as exc:
            raise BrokerError(f"cannot prepare the broker's data directory: {exc}") from exc
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise BrokerError(
                f"{self.data_dir} is in use by another broker; give each its own data directory"
            ) from None
        self._data_dir_lock = lock

    def _write_config(self) -> BrokerConfig:
        data_dir = self.data_dir
        port = self.port or _free_port(self.host)
        config = BrokerConfig(
            host=self.host,
            port=port,
            controller_port=_free_port(self.host, avoid=port),
            log_dirs=data_dir / "kraft",
            num_partitions=self.num_partitions,
        )
        try:
            (data_dir / "logs").mkdir(parents=True, exist_ok=True)
            (data_dir / "server.properties").write_text(
                config.server_properties(), encoding="utf-8"
            )
            (data_dir / "log4j2.properties").write_text(
                log4j2_properties(self.log_file), encoding="utf-8"
            )
        except OSError as exc:
            raise BrokerError(f"cannot prepare the broker's data directory: {exc}") from exc
        return config

    def _java_command(
        self, java: JavaRuntime, options: Sequence[str], classpath: Sequence[Path], *main: str
    ) -> list[str]:
        return [
            str(java.path),
            *options,
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp",
            os.pathsep.join(str(jar) for jar in classpath),
            *main,
        ]

    def _format(self, java: JavaRuntime, classpath: Sequence[Path], deadline: float) -> None:
        properties = str(self.data_dir / "server.properties")
        tool = ("kafka.tools.StorageTool", "format", "--ignore-formatted")
        arguments = ("--cluster-id", new_cluster_id(), "--config", properties)
        command = self._java_command(java, _TOOL_JVM_OPTIONS, classpath, *tool, *arguments)
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=max(deadline - time.monotonic(), 1.0),
                check=False,
                # As the broker's: a terminal's Ctrl-C is ours to act on. The tool would die of
                # it, and a stop asked for would be reported as a failed start.
                start_new_session=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise BrokerError(f"formatting Kafka storage in {self.data_dir} timed out") from exc
        if result.returncode != 0:
            raise BrokerError(
                f"formatting Kafka storage in {self.data_dir} failed "
                f"(exit {result.returncode}):\n{(result.stdout + result.stderr).strip()}"
            )

    def _launch(
        self, java: JavaRuntime, classpath: Sequence[Path], archive_options: Sequence[str]
    ) -> subprocess.Popen[bytes]:
        properties = str(self.data_dir / "server.properties")
        self._jvm_out = (self.data_dir / "logs" / "jvm.out").open("ab")
        # A stop signal handled between the fork and the assignment would unwind with the JVM
        # started but unknown to stop(): it is held until `_process` is set (and the JVM
        # itself is started with it unblocked).
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            self._process = subprocess.Popen(
                self._java_command(
                    java, [*JVM_OPTIONS, *archive_options], classpath, "kafka.Kafka", properties
                ),
                stdin=subprocess.DEVNULL,
                stdout=self._jvm_out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                # Its own session, so a terminal's Ctrl-C reaches only us: we stop the broker
                # after the services using it have flushed, not at the same moment.
                start_new_session=True,
                preexec_fn=ends_with_this_process(_STOP_SIGNALS),
                pass_fds=[self._data_dir_lock.fileno()] if self._data_dir_lock else [],
            )
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return self._process

    def _wait_ready(
        self,
        process: subprocess.Popen[bytes],
        config: BrokerConfig,
        deadline: float,
        timeout: float,
    ) -> None:
        while True:
            code = process.poll()
            if code is not None:
                raise BrokerError(f"Kafka exited with code {code} while starting{self.log_tail()}")
            if _answers(config.host, config.port, timeout=1.0):
                return
            if time.monotonic() >= deadline:
                raise BrokerError(f"Kafka was not ready within {timeout:.0f}s{self.log_tail()}")
            time.sleep(_POLL_SECONDS)

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` of the broker's logs, formatted to end an error message."""
        parts = []
        for path in (self.log_file, self.data_dir / "logs" / "jvm.out"):
            last = _last_lines(path, lines)
            if last:
                parts.append(f"\n--- last lines of {path} ---\n" + "\n".join(last))
        return "".join(parts) or f"; no broker log in {self.data_dir / 'logs'}"


def _answers(host: str, port: int, timeout: float) -> bool:
    """Whether the broker answers an ApiVersions request (v0: every Kafka answers it).

    Kafka opens its client listener only once the broker has caught up with the metadata
    log and been unfenced by the controller, so any answer means it is ready for clients.
    A hand-made request keeps the probe free of client threads and connection-error logs.
    """
    client_id = b"newswire-broker-probe"
    header = struct.pack(">hhih", _API_VERSIONS, 0, _PROBE_ID, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(header)) + header)
            with sock.makefile("rb") as stream:
                size = stream.read(4)
                if len(size) < 4:
                    return False
                response = stream.read(struct.unpack(">i", size)[0])
    except OSError:
        return False
    return len(response) >= 4 and struct.unpack_from(">i", response)[0] == _PROBE_ID


def _last_lines(path: Path, count: int) -> list[str]:
    try:
        with path.open("rb") as file:
            file.seek(0, 2)
            file.seek(max(file.tell() - 64 * 1024, 0))
            return file.read().decode("utf-8", "replace").splitlines()[-count:]
    except OSError:
        return []


def _free_port(host: str, avoid: int | None = None) -> int:
    while True:
        with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port != avoid:
            return port


def _temporary_data_dir() -> Path:
    root = Path(tempfile.gettempdir())
    remove_abandoned_data_dirs(root)
    data_dir = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=root))
    (data_dir / _TEMPORARY_MARK).touch()
    return data_dir


def remove_abandoned_data_dirs(root: Path) -> None:
    """Removes the temporary data directories under `root` that a broker's owner left when it
    ended without `stop()` (a second Ctrl-C, SIGKILL, a power cut): those whose lock no process
    holds and was made over `ABANDONED_AFTER_SECONDS` ago. The lock is held until the broker's
    JVM has ended too. A directory given as `data_dir` is never one of them, whatever its name."""
    for data_dir in root.glob(f"{TEMPORARY_PREFIX}*"):
        if not (data_dir / _TEMPORARY_MARK).is_file():
            continue
        try:
            with (data_dir / DATA_DIR_LOCK).open("r") as lock:
                if time.time() - os.fstat(lock.fileno()).st_mtime < ABANDONED_AFTER_SECONDS:
                    continue
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises while a broker runs
                shutil.rmtree(data_dir, ignore_errors=True)
        except OSError:  # in use, not a broker's, or not ours to remove
            continue
        log.info("removed an abandoned broker data directory", extra={"path": str(data_dir)})


def _port_free(host: str, port: int) -> bool:
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        # Java binds with SO_REUSEADDR too, so a port with only TIME_WAIT leftovers counts
        # as free, as it does for Kafka.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            sock.bind((host, port))
            return True
    return False


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}

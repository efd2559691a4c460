"""The services as child processes (`python -m newswire ...`), as they run in production.

`service_env` points a child at the benchmark's broker and topics (and a metrics port of its
own); `Child` starts one, reads its resident memory (VmRSS) and CPU time, and stops it with
SIGTERM, as an orchestrator would.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import psutil
from kafka.admin import KafkaAdminClient

from bench.harness import REPO
from newswire.settings import KafkaSettings, TopicSettings


def service_env(kafka: KafkaSettings, topics: TopicSettings, **extra: str) -> dict[str, str]:
    """The environment of a child service on `kafka` and `topics`, with `extra` on top."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEWSWIRE_", "KAFKA_", "BENCH_"))
    }
    env.update(topics.environment())
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap_servers,
        KAFKA_COMPRESSION_TYPE=kafka.compression_type,
        NEWSWIRE_GROUP_ID=f"bench-{uuid.uuid4().hex[:8]}",
        NEWSWIRE_METRICS_PORT="0",
        NEWSWIRE_LOG_LEVEL="WARNING",
        NEWSWIRE_LOG_FORMAT="json",
    )
    env.update(extra)
    return env


class Child:
    """`python [prefix...] -m newswire ARGS` in the repository, its log in `log_path`."""

    def __init__(
        self,
        args: Sequence[str],
        env: dict[str, str],
        log_path: Path,
        prefix: Sequence[str] = (),
    ) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, *prefix, "-m", "newswire", *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._ps = psutil.Process(self.process.pid)

    def __enter__(self) -> Child:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS), in MiB."""
        return round(self._ps.memory_info().rss / 2**20, 1)

    def peak_mb(self) -> float:
        """The most resident memory the child has had so far (VmHWM), in MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
        return round(int(kib) / 1024, 1)

    def cpu_s(self) -> float:
        """CPU time so far, user and system, of every thread of the child and its children."""
        total = 0.0
        for process in self._tree():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def tree_pss_mb(self) -> float:
        """The memory of the child and its children, in MiB: the sum of their proportional set
        sizes (PSS), in which a page several of them share counts once in all, not once each."""
        total = 0
        for process in self._tree():
            try:
                total += process.memory_full_info().pss
            except psutil.NoSuchProcess:
                continue
        return round(total / 2**20, 1)

    def _tree(self) -> list[psutil.Process]:
        return [self._ps, *self._ps.children(recursive=True)]

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise RuntimeError(f"{self.process.args!r} exited with {code}; see {self._log.name}")

    def wait(self, timeout: float) -> int:
        """Waits for the child to exit on its own; its exit status."""
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds. Safe to repeat."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def group_members(kafka: KafkaSettings, group_id: str) -> int:
    """Members of `group_id` when it is stable (every partition assigned), else 0."""
    admin = KafkaAdminClient(**kafka.client_config(), client_id="bench-admin")
    try:
        described = admin.describe_groups([group_id]).get(group_id, {})
    finally:
        admin.close()
    if described.get("group_state") != "Stable":
        return 0
    return len(described.get("members", []))


def wait_for_group(kafka: KafkaSettings, group_id: str, members: int, timeout: float) -> None:
    """Waits until `members` consumers share `group_id`'s partitions."""
    deadline = time.monotonic() + timeout
    while group_members(kafka, group_id) < members:
        if time.monotonic() > deadline:
            raise RuntimeError(f"group {group_id} did not reach {members} members in {timeout} s")
        time.sleep(0.5)


def reaped_cpu_s() -> float:
    """CPU time of every child process this one has waited for (and their waited children)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

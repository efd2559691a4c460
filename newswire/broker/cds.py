"""Class-data sharing: an archive of the broker's loaded classes that halves later starts.

The first broker that becomes ready and then stops cleanly leaves a dynamic CDS archive
(`-XX:ArchiveClassesAtExit`, Java 13+) in the jar cache; later starts map it
(`-XX:SharedArchiveFile`). The archive is named after the exact Java build and classpath, and
the JVM itself ignores one it cannot use, so a stale archive costs only the speed-up.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from newswire.broker.java import JavaRuntime


class ClassArchive:
    """One archive file; `jvm_options()` either uses it or has the JVM write it at exit."""

    def __init__(self, directory: Path, java: JavaRuntime, classpath: Sequence[Path]) -> None:
        identity = "\n".join([str(java.path.resolve()), java.version, *map(str, classpath)])
        key = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
        self.path = directory / f"broker-{key}.jsa"
        self._pending: Path | None = None

    def jvm_options(self) -> list[str]:
        if self.path.is_file():
            return [f"-XX:SharedArchiveFile={self.path}"]
        # A name of its own: brokers started concurrently each write their own archive.
        self._pending = self.path.with_name(
            f".{self.path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part"
        )
        return [f"-XX:ArchiveClassesAtExit={self._pending}"]

    def keep(self) -> None:
        """Publish the archive the JVM wrote; call only after a ready broker exited cleanly."""
        if self._pending is not None and self._pending.is_file():
            self._pending.replace(self.path)
        self._pending = None

    def discard(self) -> None:
        """Drop an archive that may be partial: the JVM was killed or never got ready."""
        if self._pending is not None:
            self._pending.unlink(missing_ok=True)
        self._pending = None

"""Finding a Java runtime recent enough for the broker."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from newswire.errors import BrokerError

MIN_JAVA = 17
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')


def parse_java_major(version_output: str) -> int | None:
    """The major version in `java -version` output; "1.8.0_x" is Java 8."""
    match = _VERSION.search(version_output)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        return int(match.group(2))
    return major


@dataclass(frozen=True)
class JavaRuntime:
    """A `java` executable that passed the version check."""

    path: Path
    version: str
    """`java -version` output, which names the exact build."""


def find_java() -> JavaRuntime:
    """`$JAVA_HOME/bin/java`, else `java` on PATH, checked to be Java 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    found = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    requirement = f"the embedded Kafka broker needs Java {MIN_JAVA} or newer"
    if found is None or not Path(found).is_file():
        where = f"JAVA_HOME is {java_home}, which has no bin/java" if java_home else "none on PATH"
        raise BrokerError(f"{requirement}: no `java` found ({where}); set JAVA_HOME or PATH")
    try:
        result = subprocess.run(
            [found, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrokerError(f"{requirement}: could not run {found} -version: {exc}") from exc
    # `java -version` writes to stderr.
    version = (result.stderr + result.stdout).strip()
    major = parse_java_major(version)
    if major is None or major < MIN_JAVA:
        shown = version.splitlines()[:1] or ["unknown version"]
        raise BrokerError(f"{requirement}; {found} is {shown[0]}")
    return JavaRuntime(Path(found), version)

"""Finding Java 17+, and the error when there is none."""

from pathlib import Path

import pytest

from newswire.broker.java import find_java, parse_java_major
from newswire.errors import BrokerError


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "25-ea" 2025-09-16', 25),
        ('java version "1.8.0_392"', 8),
        ("no version here", None),
    ],
)
def test_parse_java_major(output: str, major: int | None) -> None:
    assert parse_java_major(output) == major


def fake_java_home(tmp_path: Path, version: str) -> Path:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2020-01-01' >&2\n")
    java.chmod(0o755)
    return tmp_path


def test_an_old_java_is_refused_naming_the_requirement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(fake_java_home(tmp_path, "11.0.2")))

    with pytest.raises(BrokerError, match=r"needs Java 17 or newer.*11\.0\.2"):
        find_java()


def test_a_recent_java_from_java_home_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(fake_java_home(tmp_path, "21.0.1")))

    java = find_java()

    assert java.path == tmp_path / "bin" / "java"
    assert '"21.0.1"' in java.version


def test_no_java_at_all_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(
        BrokerError, match=r"needs Java 17 or newer: no `java` found \(none on PATH"
    ):
        find_java()

    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(BrokerError, match=r"JAVA_HOME is \S+/nowhere, which has no bin/java"):
        find_java()

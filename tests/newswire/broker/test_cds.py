"""The class-data archive: written by one clean run, used by the next, never half-written."""

from pathlib import Path

from newswire.broker.cds import ClassArchive
from newswire.broker.java import JavaRuntime

JAVA = JavaRuntime(Path("/usr/bin/java"), 'openjdk version "17.0.15"')
CLASSPATH = [Path("/cache/a.jar"), Path("/cache/b.jar")]


def test_the_first_run_writes_the_archive_and_a_clean_stop_publishes_it(tmp_path: Path) -> None:
    archive = ClassArchive(tmp_path, JAVA, CLASSPATH)
    [option] = archive.jvm_options()
    assert option.startswith("-XX:ArchiveClassesAtExit=")
    Path(option.split("=", 1)[1]).write_bytes(b"archive")

    archive.keep()

    assert archive.path.read_bytes() == b"archive"
    assert list(tmp_path.iterdir()) == [archive.path]
    assert ClassArchive(tmp_path, JAVA, CLASSPATH).jvm_options() == [
        f"-XX:SharedArchiveFile={archive.path}"
    ]


def test_an_unclean_run_leaves_no_archive(tmp_path: Path) -> None:
    archive = ClassArchive(tmp_path, JAVA, CLASSPATH)
    [option] = archive.jvm_options()
    Path(option.split("=", 1)[1]).write_bytes(b"partial")

    archive.discard()

    assert list(tmp_path.iterdir()) == []


def test_another_java_build_or_classpath_gets_another_archive(tmp_path: Path) -> None:
    other_java = JavaRuntime(JAVA.path, 'openjdk version "17.0.16"')
    paths = {
        ClassArchive(tmp_path, JAVA, CLASSPATH).path,
        ClassArchive(tmp_path, other_java, CLASSPATH).path,
        ClassArchive(tmp_path, JAVA, CLASSPATH[:1]).path,
    }

    assert len(paths) == 3

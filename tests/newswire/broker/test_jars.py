"""The jar manifest and the verified cache, without a broker or the network."""

import hashlib
import threading
from pathlib import Path

import httpx
import pytest

from newswire.broker.jars import Jar, ensure_jars, load_manifest, parse_manifest
from newswire.broker.version import KAFKA_VERSION, SCALA_VERSION
from newswire.errors import BrokerError

CONTENT = b"PK\x03\x04 not really a jar"
SHA = hashlib.sha256(CONTENT).hexdigest()
JAR = Jar("org.example", "thing", "1.0", SHA)
REPOSITORY = "https://repo.test/maven2"
URL = f"{REPOSITORY}/org/example/thing/1.0/thing-1.0.jar"


class Repository:
    """A Maven repository serving `answers` in turn (the last one repeats), counting requests."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[str] = []

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_parse_manifest_skips_comments_and_blank_lines() -> None:
    text = f"# header\n\norg.example:thing:1.0 {SHA}  # why\nx.y:z_2.13:2.0-rc1 {SHA}\n"

    jars = parse_manifest(text)

    assert jars == [JAR, Jar("x.y", "z_2.13", "2.0-rc1", SHA)]
    assert jars[0].manifest_line() == f"org.example:thing:1.0 {SHA}"
    assert jars[0].url(REPOSITORY) == URL


@pytest.mark.parametrize(
    "line",
    [
        "org.example:thing:1.0",
        f"org.example:thing {SHA}",
        f"org.example:thing:1.0:extra {SHA}",
        "org.example:thing:1.0 not-a-sha",
        f"org.example:thing:1.0 {SHA.upper()}",
        f"org.example:thing:1.0 {SHA} extra",
        f"org/example:thing:1.0 {SHA}",
    ],
)
def test_parse_manifest_rejects_malformed_lines(line: str) -> None:
    with pytest.raises(BrokerError, match="line 2"):
        parse_manifest(f"# header\n{line}\n")


def test_parse_manifest_rejects_repeated_and_empty_manifests() -> None:
    with pytest.raises(BrokerError, match="repeated"):
        parse_manifest(f"org.example:thing:1.0 {SHA}\norg.example:thing:2.0 {SHA}\n")
    with pytest.raises(BrokerError, match="no jars"):
        parse_manifest("# nothing\n")


def test_shipped_manifest_pins_the_kafka_server_and_its_runtime() -> None:
    coordinates = {jar.coordinate for jar in load_manifest()}

    for artifact in (f"kafka_{SCALA_VERSION}", "kafka-clients", "kafka-server", "kafka-raft"):
        assert f"org.apache.kafka:{artifact}:{KAFKA_VERSION}" in coordinates
    artifacts = {coordinate.rsplit(":", 1)[0] for coordinate in coordinates}
    assert "org.apache.logging.log4j:log4j-slf4j-impl" in artifacts
    assert "org.scala-lang:scala-library" in artifacts


def test_missing_manifest_names_the_generator() -> None:
    with pytest.raises(BrokerError, match=r"newswire\.broker\.lock"):
        load_manifest("0.0.0")


def test_jars_are_downloaded_once_then_served_from_the_cache(tmp_path: Path) -> None:
    repository = Repository(httpx.Response(200, content=CONTENT))
    with repository.client() as client:
        assert ensure_jars([JAR], tmp_path, repository=REPOSITORY, client=client) == [
            tmp_path / JAR.filename
        ]
        ensure_jars([JAR], tmp_path, repository=REPOSITORY, client=client)

    assert repository.requests == [URL]
    assert (tmp_path / JAR.filename).read_bytes() == CONTENT
    assert [path.name for path in tmp_path.iterdir()] == [JAR.filename]


def test_a_corrupted_cached_jar_is_detected_and_fetched_again(tmp_path: Path) -> None:
    (tmp_path / JAR.filename).write_bytes(CONTENT + b"tampered")
    repository = Repository(httpx.Response(200, content=CONTENT))

    with repository.client() as client:
        ensure_jars([JAR], tmp_path, repository=REPOSITORY, client=client)

    assert repository.requests == [URL]
    assert (tmp_path / JAR.filename).read_bytes() == CONTENT


def test_a_download_with_the_wrong_sha256_is_refused_and_not_cached(tmp_path: Path) -> None:
    repository = Repository(httpx.Response(200, content=b"something else"))

    with repository.client() as client, pytest.raises(BrokerError, match="SHA-256 mismatch"):
        ensure_jars([JAR], tmp_path, repository=REPOSITORY, client=client)

    assert list(tmp_path.iterdir()) == []


def test_server_errors_are_retried(tmp_path: Path) -> None:
    repository = Repository(httpx.Response(503), httpx.Response(200, content=CONTENT))

    with repository.client() as client:
        ensure_jars([JAR], tmp_path, repository=REPOSITORY, client=client)

    assert repository.requests == [URL, URL]


def test_a_missing_jar_is_a_clear_error(tmp_path: Path) -> None:
    repository = Repository(httpx.Response(404))

    with repository.client() as client, pytest.raises(BrokerError, match="HTTP 404"):
        ensure_jars([JAR], tmp_path, repository=REPOSITORY, client=client)

    assert repository.requests == [URL]
    assert list(tmp_path.iterdir()) == []


def test_concurrent_first_use_leaves_one_intact_copy(tmp_path: Path) -> None:
    jars = [Jar("org.example", f"thing{n}", "1.0", SHA) for n in range(8)]
    repository = Repository(httpx.Response(200, content=CONTENT))
    start = threading.Barrier(4)

    def first_use() -> None:
        start.wait()
        with repository.client() as client:
            ensure_jars(jars, tmp_path, repository=REPOSITORY, client=client)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(j.filename for j in jars)
    assert all((tmp_path / jar.filename).read_bytes() == CONTENT for jar in jars)

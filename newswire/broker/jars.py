"""The broker's classpath: the pinned jar manifest, and fetching, verifying and caching its jars.

The manifest (`kafka-<version>.lock` beside this module, written by `python -m
newswire.broker.lock`) lists one jar per line as `group:artifact:version sha256`. Jars come from
Maven Central on first use and are kept under the user's cache directory; every use re-checks
their SHA-256, so a damaged cache is repaired rather than run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import platformdirs

from newswire.broker.version import KAFKA_VERSION
from newswire.errors import BrokerError

log = logging.getLogger(__name__)

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
DOWNLOAD_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=10.0, pool=10.0)
DOWNLOAD_ATTEMPTS = 3
_PARALLEL_DOWNLOADS = 4
_CHUNK = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME_PART = re.compile(r"[A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class Jar:
    """One pinned Maven artifact of the broker's classpath."""

    group: str
    artifact: str
    version: str
    sha256: str

    @property
    def coordinate(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"

    @property
    def filename(self) -> str:
        # The group is kept in the name: two groups may publish the same artifact name.
        return f"{self.group}.{self.artifact}-{self.version}.jar"

    def url(self, repository: str = MAVEN_CENTRAL) -> str:
        group_path = self.group.replace(".", "/")
        return (
            f"{repository}/{group_path}/{self.artifact}/{self.version}/"
            f"{self.artifact}-{self.version}.jar"
        )

    def manifest_line(self) -> str:
        return f"{self.coordinate} {self.sha256}"


def parse_manifest(text: str) -> list[Jar]:
    """Parse manifest text; `#` starts a comment. Raises `BrokerError` naming the bad line."""
    jars: list[Jar] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        parts = fields[0].split(":")
        if (
            len(fields) != 2
            or len(parts) != 3
            or not all(_NAME_PART.fullmatch(part) for part in parts)
            or not _SHA256.fullmatch(fields[1])
        ):
            raise BrokerError(
                f"jar manifest line {number}: expected 'group:artifact:version sha256', "
                f"got {raw.strip()!r}"
            )
        group, artifact, version = parts
        jar = Jar(group, artifact, version, fields[1])
        if (jar.group, jar.artifact) in seen:
            raise BrokerError(f"jar manifest line {number}: {jar.group}:{jar.artifact} repeated")
        seen.add((jar.group, jar.artifact))
        jars.append(jar)
    if not jars:
        raise BrokerError("jar manifest lists no jars")
    return jars


def manifest_name(version: str = KAFKA_VERSION) -> str:
    return f"kafka-{version}.lock"


def load_manifest(version: str = KAFKA_VERSION) -> list[Jar]:
    """The jars pinned for `version`, from the manifest shipped in this package."""
    resource = resources.files(__package__) / manifest_name(version)
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BrokerError(
            f"no jar manifest for Kafka {version}; "
            "generate it with `python -m newswire.broker.lock`"
        ) from None
    return parse_manifest(text)


def default_cache_dir(version: str = KAFKA_VERSION) -> Path:
    """Where the jars of `version` are cached (follows XDG_CACHE_HOME on Linux)."""
    return Path(platformdirs.user_cache_dir("newswire")) / "kafka" / version


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_jars(
    jars: Sequence[Jar],
    directory: Path,
    *,
    repository: str = MAVEN_CENTRAL,
    client: httpx.Client | None = None,
) -> list[Path]:
    """Return the verified local path of every jar, downloading those missing or damaged.

    Raises `BrokerError` if a jar cannot be downloaded or its SHA-256 differs from the manifest.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BrokerError(f"cannot create the jar cache {directory}: {exc}") from exc
    missing = [jar for jar in jars if not _cached_ok(jar, directory)]
    if missing:
        owned = client is None
        http = client or httpx.Client(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True)
        started = time.monotonic()
        log.info("fetching %d jars from %s into %s", len(missing), repository, directory)
        try:
            _download_all(http, missing, directory, repository)
        finally:
            if owned:
                http.close()
        log.info("fetched %d jars in %.1fs", len(missing), time.monotonic() - started)
    return [directory / jar.filename for jar in jars]


def _cached_ok(jar: Jar, directory: Path) -> bool:
    path = directory / jar.filename
    if not path.is_file():
        return False
    if sha256_of(path) == jar.sha256:
        return True
    log.warning("cached %s does not match its SHA-256; fetching it again", path)
    path.unlink(missing_ok=True)
    return False


def _download_all(
    client: httpx.Client, jars: Iterable[Jar], directory: Path, repository: str
) -> None:
    with ThreadPoolExecutor(max_workers=_PARALLEL_DOWNLOADS) as pool:
        futures = [pool.submit(_download, client, jar, directory, repository) for jar in jars]
        for future in futures:
            future.result()


def _download(client: httpx.Client, jar: Jar, directory: Path, repository: str) -> None:
    url = jar.url(repository)
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            _download_once(client, jar, url, directory)
            return
        except (httpx.TransportError, _ServerError) as exc:
            if attempt == DOWNLOAD_ATTEMPTS:
                raise BrokerError(
                    f"could not download {url} after {attempt} attempts: {exc}"
                ) from exc
            log.warning("download of %s failed (%s); retrying", url, exc)
            time.sleep(0.5 * attempt)
        except OSError as exc:
            raise BrokerError(f"cannot write {jar.filename} into {directory}: {exc}") from exc


class _ServerError(Exception):
    """A 5xx answer, worth another attempt."""


def _download_once(client: httpx.Client, jar: Jar, url: str, directory: Path) -> None:
    # A unique temporary name in the same directory, then an atomic rename: a concurrent
    # process downloading the same jar never sees, nor leaves, a partial file under its name.
    fd, part_name = tempfile.mkstemp(dir=directory, prefix=f".{jar.filename}.", suffix=".part")
    part = Path(part_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, client.stream("GET", url) as response:
            if response.status_code >= 500:
                raise _ServerError(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise BrokerError(f"could not download {url}: HTTP {response.status_code}")
            for chunk in response.iter_bytes(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != jar.sha256:
            raise BrokerError(
                f"SHA-256 mismatch for {jar.coordinate} from {url}: "
                f"expected {jar.sha256}, got {actual}; the file was not cached"
            )
        part.replace(directory / jar.filename)
    finally:
        part.unlink(missing_ok=True)

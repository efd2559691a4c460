"""What can be checked of the Dockerfile without a Docker engine: pins, user, entry point, the
dependencies the build installs, the build context, and its health check against a live endpoint."""

import json
import os
import re
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from newswire.observability.endpoints import EndpointServer, Readiness
from tests.conftest import REPO, free_port
from tests.deploy.files import DOCKERFILE

# `python -m venv` on Python 3.11 installs these from the interpreter's own ensurepip, so the
# pinned base image fixes their versions (and `pip freeze`, hence the lock, leaves them out).
BUNDLED_WITH_VENV = {"pip", "setuptools"}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            found.append((keyword.upper(), arguments.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        name, _, version = line.partition("==")
        pins[canonicalize_name(name)] = version.strip()
    return pins


def test_base_image_is_python_311_slim_bookworm_at_an_exact_patch_release() -> None:
    args = dict(
        arguments.partition("=")[::2] for keyword, arguments in instructions() if keyword == "ARG"
    )
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", args["PYTHON_IMAGE"])
    stages = [arguments for keyword, arguments in instructions() if keyword == "FROM"]
    assert len(stages) >= 2, "build tools and caches stay in a build stage"
    assert all(stage.split()[0] == "${PYTHON_IMAGE}" for stage in stages)


def test_image_runs_newswire_as_a_non_root_user() -> None:
    final = dict(final_stage())
    assert json.loads(final["ENTRYPOINT"]) == ["newswire"]
    user = final["USER"].split(":")[0]
    assert user not in ("root", "0")
    assert "HEALTHCHECK" in final


def test_build_installs_every_runtime_dependency_at_its_locked_version() -> None:
    # The build passes requirements.lock as constraints: a runtime dependency missing from it
    # would be resolved afresh on every build, and the image would not be reproducible.
    pins = lock()
    unpinned = []
    seen: set[str] = set()
    pending = [Requirement(spec) for spec in requires("newswire") or []]
    while pending:
        requirement = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue  # an extra (the dev tools) or another platform
        name = canonicalize_name(requirement.name)
        if name in seen or name in BUNDLED_WITH_VENV:
            continue
        seen.add(name)
        if name not in pins or not requirement.specifier.contains(pins[name], prereleases=True):
            unpinned.append(str(requirement))
            continue
        pending.extend(Requirement(spec) for spec in requires(requirement.name) or [])
    assert unpinned == [], "requirements.lock disagrees; `make lock` re-pins it"
    assert "spacy" in seen


def test_build_context_admits_exactly_what_the_dockerfile_copies() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "everything is left out unless named"
    admitted = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    copied: set[str] = set()
    for keyword, arguments in instructions():
        if keyword == "COPY" and not arguments.startswith("--from"):
            copied.update(source.rstrip("/") for source in arguments.split()[:-1])
    assert copied == admitted
    assert all((REPO / source).exists() for source in copied)


def healthcheck_command() -> list[str]:
    [arguments] = [arguments for keyword, arguments in final_stage() if keyword == "HEALTHCHECK"]
    command: list[str] = json.loads(arguments.partition(" CMD ")[2])
    return command


def run_healthcheck(port: int) -> int:
    # The image puts its virtualenv first on PATH; this one stands in for it.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env["NEWSWIRE_METRICS_PORT"] = str(port)
    command = healthcheck_command()
    return subprocess.run(command, env=env, capture_output=True, timeout=30, check=False).returncode


def test_healthcheck_passes_while_the_service_answers_and_fails_when_it_does_not() -> None:
    port = free_port()
    with EndpointServer("127.0.0.1", port, Readiness()):
        assert run_healthcheck(port) == 0
    assert run_healthcheck(port) != 0

"""Released schema snapshots (`schemas/released/`), and the check that the models keep to them.

Each release of a schema is a frozen copy of its generated JSON Schema, named by major and minor
version: `newswire.article.enriched.v1.0.json`, `….v1.1.json`. The major is the `schema` header
value (`newswire.article.enriched/1`); a minor release only adds optional fields. The models are
checked against the latest release of their major (`schemas.compat`), and the snapshot chain is
what makes the check last: a field added in 1.1 and dropped again in 1.2 is caught, because 1.1
was released. Each release is listed in `schemas/CHANGELOG.md`.

    python -m schemas.release           snapshot every schema that gained fields (or a new major)
                                        and list the new fields in the changelog
    python -m schemas.release --check   write nothing; exit 1 on any problem (the test runs this)
"""

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.compat import breaking_changes
from schemas.generate import render
from schemas.models import ALL_RECORDS, RawArticle

RELEASED_DIR = Path(__file__).parent / "released"
CHANGELOG = Path(__file__).parent / "CHANGELOG.md"
_SNAPSHOT = re.compile(r"^(?P<name>.+)\.v(?P<major>\d+)\.(?P<minor>\d+)\.json$")


@dataclass(frozen=True)
class Release:
    """One released version of one schema: `newswire.article.enriched` 1.1."""

    name: str
    major: int
    minor: int

    @property
    def path(self) -> Path:
        return RELEASED_DIR / f"{self.name}.v{self.major}.{self.minor}.json"

    @property
    def label(self) -> str:
        """How the changelog names it, in a heading: `## newswire.article.enriched 1.1`."""
        return f"{self.name} {self.major}.{self.minor}"

    @classmethod
    def from_path(cls, path: Path) -> "Release | None":
        match = _SNAPSHOT.match(path.name)
        if match is None:
            return None
        return cls(match["name"], int(match["major"]), int(match["minor"]))

    def load(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return document

    def next(self) -> "Release":
        return Release(self.name, self.major, self.minor + 1)


def name_and_major(model: type[RawArticle]) -> tuple[str, int]:
    """`newswire.article.enriched/1` is (`newswire.article.enriched`, 1)."""
    name, major = model.SCHEMA.split("/")
    return name, int(major)


def releases(model: type[RawArticle]) -> list[Release]:
    """Every released version of the model's major, oldest first."""
    name, major = name_and_major(model)
    found = [Release.from_path(path) for path in RELEASED_DIR.glob(f"{name}.v{major}.*.json")]
    return sorted(
        (r for r in found if r is not None and (r.name, r.major) == (name, major)),
        key=lambda r: r.minor,
    )


def current(model: type[RawArticle]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render(model))
    return document


def problems(model: type[RawArticle]) -> list[str]:
    """Why the model cannot be published as its major version as it stands; empty when it can."""
    history = releases(model)
    if not history:
        return [
            f"{model.SCHEMA} has never been released: run `python -m schemas.release` and "
            f"describe it in {CHANGELOG.name}"
        ]
    latest = history[-1]
    breaks = breaking_changes(latest.load(), current(model))
    if breaks:
        name, major = name_and_major(model)
        return [
            f"{model.SCHEMA} breaks its released version {latest.major}.{latest.minor} "
            f"({latest.path.name}):",
            *(f"  - {change}" for change in breaks),
            "A field may only be added, and only as optional. Removing, retyping or requiring "
            f"one needs a new major version: set {model.__name__}.SCHEMA = '{name}/{major + 1}' "
            "(the new `schema` header value), then run `make schemas` and "
            f"`python -m schemas.release`, and describe the change in {CHANGELOG.name}.",
        ]
    if added_fields(latest, model):
        return [
            f"{model.SCHEMA} gained fields since {latest.major}.{latest.minor}: run "
            f"`python -m schemas.release` to release it as {latest.next().label} "
            f"(which lists the new fields in {CHANGELOG.name})"
        ]
    return []


def added_fields(latest: Release, model: type[RawArticle]) -> list[str]:
    """The fields the model has and `latest` lacks; all optional when it is compatible."""
    # What the release would lose, were the model the older of the two, is what it gained.
    gone = breaking_changes(current(model), latest.load())
    return [line.removesuffix(": removed") for line in gone if line.endswith(": removed")]


def unlisted_releases() -> list[Release]:
    """Released snapshots that the changelog has no heading for."""
    text = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.is_file() else ""
    headings = set(re.findall(r"^## (\S+ \d+\.\d+)\b", text, re.MULTILINE))
    found = [Release.from_path(path) for path in sorted(RELEASED_DIR.glob("*.json"))]
    return [r for r in found if r is not None and r.label not in headings]


def release(model: type[RawArticle]) -> Release | None:
    """Snapshots the model as its next version when it has one to release; None when not.

    A minor version gets its changelog heading, listing the new fields; a new major version's
    heading is left to a person, who has to explain what broke.
    """
    history = releases(model)
    if history and breaking_changes(history[-1].load(), current(model)):
        return None
    added = added_fields(history[-1], model) if history else []
    if history and not added:
        return None
    name, major = name_and_major(model)
    new = history[-1].next() if history else Release(name, major, 0)
    RELEASED_DIR.mkdir(exist_ok=True)
    new.path.write_text(render(model), encoding="utf-8")
    if added:
        fields = ", ".join(f"`{field}`" for field in added)
        _add_to_changelog(f"## {new.label}\n\nNew optional fields: {fields}.\n\n")
    return new


def _add_to_changelog(entry: str) -> None:
    """Puts `entry` above the newest heading: the changelog lists versions newest first."""
    text = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.is_file() else ""
    newest = re.search(r"^## ", text, re.MULTILINE)
    at = newest.start() if newest else len(text)
    CHANGELOG.write_text(text[:at] + entry + text[at:], encoding="utf-8")


def main(argv: list[str]) -> int:
    if "--check" not in argv:
        for model in ALL_RECORDS:
            written = release(model)
            if written is not None:
                print(f"released {written.label} as {written.path}")
    found = [line for model in ALL_RECORDS for line in problems(model)]
    found += [f"{CHANGELOG.name} has no `## {r.label}` heading" for r in unlisted_releases()]
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The compatibility checker on synthetic schemas: what it lets through and what it stops."""

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from schemas.compat import breaking_changes
from schemas.generate import schema_file
from schemas.models import EnrichedArticle

Schema = dict[str, Any]

RELEASED: Schema = {
    "$defs": {
        "Kind": {"enum": ["seed", "rss"], "type": "string"},
        "Tag": {
            "properties": {
                "name": {"type": "string", "description": "The tag."},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["name"],
            "type": "object",
        },
    },
    "properties": {
        "id": {"pattern": "^[0-9a-f]{32}$", "type": "string"},
        "kind": {"$ref": "#/$defs/Kind"},
        "published_at": {
            "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
            "default": None,
        },
        "tags": {"items": {"$ref": "#/$defs/Tag"}, "type": "array"},
        "models": {"additionalProperties": {"type": "string"}, "type": "object"},
    },
    "required": ["id", "kind"],
    "type": "object",
}


Edit = Callable[[Schema], object]
TAG = ("$defs", "Tag", "properties")


def at(schema: Schema, path: tuple[str, ...]) -> Any:
    for key in path:
        schema = schema[key]
    return schema


def put(*path: str, value: object) -> Edit:
    return lambda schema: at(schema, path[:-1]).__setitem__(path[-1], value)


def drop(*path: str) -> Edit:
    return lambda schema: at(schema, path[:-1]).pop(path[-1])


def append(*path: str, value: object) -> Edit:
    return lambda schema: at(schema, path).append(value)


def changed(*edits: Edit) -> list[str]:
    after = copy.deepcopy(RELEASED)
    for edit in edits:
        edit(after)
    return breaking_changes(RELEASED, after)


def test_the_same_schema_is_compatible() -> None:
    assert changed() == []


@pytest.mark.parametrize(
    "edits",
    [
        pytest.param([put("properties", "lang", value={"type": "string"})], id="optional field"),
        pytest.param([put(*TAG, "url", value={"type": "string"})], id="optional nested field"),
        pytest.param([put(*TAG, "name", "description", value="Reworded.")], id="description"),
        pytest.param(
            [
                lambda s: s["$defs"].update(Label=s["$defs"].pop("Tag")),
                put("properties", "tags", "items", "$ref", value="#/$defs/Label"),
            ],
            id="renamed definition",
        ),
    ],
)
def test_what_a_minor_version_may_change(edits: list[Edit]) -> None:
    assert changed(*edits) == []


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ([drop("properties", "published_at")], "published_at: removed"),
        ([drop(*TAG, "score")], "tags[].score: removed"),
        ([put("properties", "id", "type", value="integer")], "id: retyped from string to integer"),
        (
            [put("properties", "published_at", value={"format": "date-time", "type": "string"})],
            "published_at: retyped from string (date-time) | null to string (date-time)",
        ),
        (
            [put("properties", "models", "additionalProperties", "type", value="number")],
            "models{}: retyped from string to number",
        ),
        (
            [put("properties", "lang", value={"type": "string"}), append("required", value="lang")],
            "lang: added as required",
        ),
        ([append("required", value="tags")], "tags: made required"),
        ([lambda s: s["required"].remove("kind")], "kind: no longer required"),
        ([lambda s: s["$defs"]["Kind"]["enum"].remove("rss")], "kind: values removed: 'rss'"),
        ([append("$defs", "Kind", "enum", value="atom")], "kind: values added: 'atom'"),
        (
            [put(*TAG, "score", "maximum", value=100)],
            "tags[].score: constraint changed (maximum 1 → 100)",
        ),
        (
            [drop("properties", "id", "pattern")],
            "id: constraint changed (pattern '^[0-9a-f]{32}$' → (none))",
        ),
    ],
)
def test_what_needs_a_new_major_version(edits: list[Edit], expected: str) -> None:
    changes = changed(*edits)
    assert len(changes) == 1, changes
    assert changes[0].startswith(expected)


def test_every_change_is_reported_with_its_path() -> None:
    assert changed(drop("properties", "id"), put(*TAG, "name", "type", value="integer")) == [
        "id: removed",
        "tags[].name: retyped from string to integer",
    ]


def test_the_real_enriched_schema_with_a_field_removed_is_caught() -> None:
    released = json.loads(schema_file(EnrichedArticle).read_text(encoding="utf-8"))
    current = copy.deepcopy(released)
    del current["$defs"]["Entity"]["properties"]["salience"]
    current["properties"]["enriched_at"] = {"type": "integer"}
    assert breaking_changes(released, current) == [
        "entities[].salience: removed",
        "enriched_at: retyped from string (date-time) to integer",
    ]

"""Whether a schema change keeps the promise of its major version: pure, on JSON Schema documents.

Within one major version (`newswire.article.enriched/1`) two things must keep working: a consumer
written against any released schema must read every record produced now, and the current models
must read every record already on the topics (a replay reads all of history). The only change that
keeps both is a new optional field, at any depth. A field removed, retyped (its type, format, enum
values, pattern or bounds changed), made required or no longer required breaks one side or the
other, and needs a new major version: a new `SCHEMA`, hence a new `schema` header value.

Titles, descriptions, defaults and examples are documentation, and `$defs` names are not part of
the shape: each `$ref` is compared by what it points to.
"""

from collections.abc import Iterator
from typing import Any

Schema = dict[str, Any]

# Keywords that document a schema without constraining a record.
ANNOTATIONS = frozenset({"title", "description", "default", "examples", "deprecated", "$comment"})
# Keywords compared structurally (below) rather than by value.
_STRUCTURE = frozenset({"$schema", "$id", "$defs", "$ref", "properties", "required", "enum"})
_NESTED = {"items": "[]", "additionalProperties": "{}", "not": "", "contains": "[]"}
_BRANCHES = ("anyOf", "oneOf", "allOf", "prefixItems")


def breaking_changes(released: Schema, current: Schema) -> list[str]:
    """How `current` breaks the promise of `released`, one line per change; empty if it keeps it."""
    return list(_Comparison(released, current).node(released, current, ""))


class _Comparison:
    def __init__(self, released: Schema, current: Schema) -> None:
        self._roots = (released, current)
        self._refs_on_path: set[tuple[str, str]] = set()

    def node(self, before: Schema, after: Schema, path: str) -> Iterator[str]:
        refs = (str(before.get("$ref", "")), str(after.get("$ref", "")))
        if refs != ("", "") and refs in self._refs_on_path:
            return  # a recursive model: this pair is already being compared further up
        self._refs_on_path.add(refs)
        try:
            yield from self._resolved(self._resolve(before, 0), self._resolve(after, 1), path)
        finally:
            self._refs_on_path.discard(refs)

    def _resolved(self, before: Schema, after: Schema, path: str) -> Iterator[str]:
        where = path or "(record)"
        old_type, new_type = self._describe(before, 0), self._describe(after, 1)
        if old_type != new_type:
            yield f"{where}: retyped from {old_type} to {new_type}"
            return  # what lies inside a retyped field is not worth listing too
        if "properties" in before or "properties" in after:
            yield from self._fields(before, after, path)
        for keyword, suffix in _NESTED.items():
            if isinstance(before.get(keyword), dict) and isinstance(after.get(keyword), dict):
                yield from self.node(before[keyword], after[keyword], path + suffix)
        for keyword in _BRANCHES:
            old, new = before.get(keyword, []), after.get(keyword, [])
            if len(old) != len(new):
                yield f"{where}: retyped ({keyword} of {len(old)} → {len(new)} schemas)"
                continue
            for old_branch, new_branch in zip(old, new, strict=True):
                yield from self.node(old_branch, new_branch, path)
        yield from _enum_changes(before.get("enum"), after.get("enum"), where)
        changed = _changed_constraints(before, after)
        if changed:
            yield f"{where}: constraint changed ({'; '.join(changed)})"

    def _fields(self, before: Schema, after: Schema, path: str) -> Iterator[str]:
        old_fields: Schema = before.get("properties", {})
        new_fields: Schema = after.get("properties", {})
        old_required = set(before.get("required", []))
        new_required = set(after.get("required", []))
        for name, old in old_fields.items():
            field = f"{path}.{name}" if path else name
            if name not in new_fields:
                yield f"{field}: removed"
                continue
            if name in new_required and name not in old_required:
                yield f"{field}: made required (records already published may lack it)"
            elif name in old_required and name not in new_required:
                yield f"{field}: no longer required (consumers rely on it being there)"
            yield from self.node(old, new_fields[name], field)
        for name in sorted(new_fields.keys() - old_fields.keys()):
            if name in new_required:
                field = f"{path}.{name}" if path else name
                yield f"{field}: added as required (a new field must be optional)"

    def _resolve(self, node: Schema, side: int) -> Schema:
        """What a local `$ref` (`#/$defs/Name`) points to, merged with the node's own keywords."""
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        target: Any = self._roots[side]
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return {**target, **{key: value for key, value in node.items() if key != "$ref"}}

    def _describe(self, node: Schema, side: int) -> str:
        """The type of a schema as a person reads it: `string (date-time) | null`."""
        node = self._resolve(node, side)
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                return " | ".join(self._describe(branch, side) for branch in node[keyword])
        if "const" in node:
            return repr(node["const"])
        kind = node.get("type", "any")
        if isinstance(kind, list):
            return " | ".join(kind)
        if kind == "array":
            return f"array of {self._describe(node.get('items', {}), side)}"
        return f"{kind} ({node['format']})" if "format" in node else str(kind)


def _enum_changes(old: list[Any] | None, new: list[Any] | None, where: str) -> Iterator[str]:
    # Both directions break: a removed value fails old records, an added one fails old consumers.
    if old == new:
        return
    if old is None or new is None:
        allowed = ", ".join(map(repr, old or new or []))
        change = "now restricted to" if old is None else "no longer restricted to"
        yield f"{where}: values {change} {allowed}"
        return
    removed = [value for value in old if value not in new]
    added = [value for value in new if value not in old]
    if removed:
        yield f"{where}: values removed: {', '.join(map(repr, removed))}"
    if added:
        yield f"{where}: values added: {', '.join(map(repr, added))} (old consumers reject them)"


def _changed_constraints(before: Schema, after: Schema) -> list[str]:
    """Every other keyword that constrains a value (`pattern`, `minimum`, …), compared as it is."""
    compared_elsewhere = ANNOTATIONS | _STRUCTURE | set(_BRANCHES) | {"type", "format", "const"}
    changed = []
    for keyword in sorted((before.keys() | after.keys()) - compared_elsewhere):
        old, new = before.get(keyword), after.get(keyword)
        if keyword in _NESTED and isinstance(old, dict) and isinstance(new, dict):
            continue  # subschemas, compared field by field
        if old != new:
            changed.append(f"{keyword} {_show(old)} → {_show(new)}")
    return changed


def _show(value: object) -> str:
    return "(none)" if value is None else repr(value)

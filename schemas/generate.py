"""Writes the JSON Schema files of `schemas/json/` from the models (`make schemas`).

`--check` writes nothing and exits 1 when a file is missing or differs from what the models give.
"""

import json
import sys
from pathlib import Path

from schemas.models import ALL_RECORDS, RawArticle

JSON_DIR = Path(__file__).parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_file(model: type[RawArticle]) -> Path:
    """`newswire.article.raw/1` is stored as `newswire.article.raw.v1.json`."""
    name, major = model.SCHEMA.split("/")
    return JSON_DIR / f"{name}.v{major}.json"


def render(model: type[RawArticle]) -> str:
    schema = {
        "$schema": DIALECT,
        "$id": model.SCHEMA,
        **model.model_json_schema(mode="serialization"),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def stale_files() -> list[Path]:
    return [
        schema_file(model)
        for model in ALL_RECORDS
        if not schema_file(model).is_file()
        or schema_file(model).read_text(encoding="utf-8") != render(model)
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path} (run `make schemas`)", file=sys.stderr)
        return 1 if stale else 0
    JSON_DIR.mkdir(exist_ok=True)
    for model in ALL_RECORDS:
        schema_file(model).write_text(render(model), encoding="utf-8")
        print(f"wrote {schema_file(model)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

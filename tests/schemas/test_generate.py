import json
from pathlib import Path

import pytest

from schemas import generate
from schemas.models import ALL_RECORDS


def test_schema_files_match_the_models() -> None:
    assert generate.stale_files() == [], "run `make schemas` and commit schemas/json/"


def test_schema_files_carry_the_header_names() -> None:
    for model in ALL_RECORDS:
        document = json.loads(generate.schema_file(model).read_text(encoding="utf-8"))
        assert document["$id"] == model.SCHEMA
        assert {"id", "title", "fetched_at", "content_hash", "source"} <= set(document["required"])


def test_check_detects_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "JSON_DIR", tmp_path)
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    path = generate.schema_file(ALL_RECORDS[0])
    path.write_text(path.read_text().replace('"title"', '"headline"'))
    assert generate.main(["--check"]) == 1
    assert generate.stale_files() == [path]

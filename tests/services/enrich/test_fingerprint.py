"""The rules digest every enriched record carries: which code and lexicon tagged it."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.enrich.fingerprint import DIGEST_CHARS, rule_sources, rules_digest


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "tag.py").write_text("RULE = 1\n")
    (tmp_path / "data" / "topics.yaml").write_text("version: '3'\n")
    return tmp_path


def test_the_digest_is_short_hex_and_the_same_for_the_same_files(package: Path) -> None:
    digest = rules_digest([package])
    assert len(digest) == DIGEST_CHARS
    assert set(digest) <= set("0123456789abcdef")
    assert rules_digest([package]) == digest


def test_a_changed_rule_or_lexicon_changes_the_digest(package: Path) -> None:
    before = rules_digest([package])
    (package / "tag.py").write_text("RULE = 2\n")
    after_code = rules_digest([package])
    (package / "data" / "topics.yaml").write_text("version: '4'\n")
    assert len({before, after_code, rules_digest([package])}) == 3


def test_a_file_moved_to_another_path_changes_the_digest(package: Path) -> None:
    before = rules_digest([package])
    (package / "tag.py").rename(package / "data" / "tag.py")
    assert rules_digest([package]) != before


def test_bytecode_caches_and_other_files_leave_it_alone(package: Path) -> None:
    before = rules_digest([package])
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "tag.cpython-311.pyc").write_bytes(b"\x00compiled")
    (package / "notes.txt").write_text("scratch")
    assert rules_digest([package]) == before


def test_a_single_file_counts_as_a_source(
    package: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    helper = tmp_path_factory.mktemp("shared") / "text.py"
    helper.write_text("CUT = 1\n")
    before = rules_digest([package, helper])
    assert before != rules_digest([package])
    helper.write_text("CUT = 2\n")
    assert rules_digest([package, helper]) != before


def test_the_installed_rules_have_a_digest() -> None:
    assert {source.name for source in rule_sources()} == {"enrich", "text.py"}
    assert len(rules_digest()) == DIGEST_CHARS

"""The guard itself: the models keep the promise of their released versions, and it can fail."""

import json
from pathlib import Path

import pytest

from schemas import release
from schemas.models import ALL_RECORDS, RawArticle


def test_the_models_keep_the_promise_of_their_released_versions() -> None:
    found = [line for model in ALL_RECORDS for line in release.problems(model)]
    assert not found, "\n".join(found)


def test_every_release_is_in_the_changelog() -> None:
    unlisted = [r.label for r in release.unlisted_releases()]
    assert not unlisted, f"add a `## <name> <version>` heading to schemas/CHANGELOG.md: {unlisted}"


@pytest.fixture
def released_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every model released as it stands, where a test may change it, whatever is committed."""
    monkeypatch.setattr(release, "RELEASED_DIR", tmp_path / "released")
    monkeypatch.setattr(release, "CHANGELOG", tmp_path / "CHANGELOG.md")
    headings = []
    for model in ALL_RECORDS:
        first = release.release(model)
        assert first is not None
        headings.append(f"## {first.label}\n")
    release.CHANGELOG.write_text("\n".join(headings))
    assert release.main(["--check"]) == 0
    return tmp_path / "released"


def latest_snapshot(model: type[RawArticle]) -> Path:
    return release.releases(model)[-1].path


def test_a_field_the_release_had_and_the_model_lacks_fails_with_what_to_do(
    released_now: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = latest_snapshot(RawArticle)
    document = json.loads(snapshot.read_text())
    document["properties"]["byline"] = {"type": "string"}  # as if the model had dropped it
    snapshot.write_text(json.dumps(document))

    assert release.main(["--check"]) == 1
    message = capsys.readouterr().err
    assert "newswire.article.raw/1 breaks its released version 1." in message
    assert "  - byline: removed" in message
    assert "RawArticle.SCHEMA = 'newswire.article.raw/2'" in message
    assert release.release(RawArticle) is None, "a breaking change must never be released"


def test_new_optional_fields_are_released_as_the_next_minor(released_now: Path) -> None:
    before = release.releases(RawArticle)[-1]
    document = before.load()
    del document["properties"]["authors"]  # as if the model had just gained it
    document["$defs"]["Source"]["properties"].pop("site")  # and its source too
    before.path.write_text(json.dumps(document))
    assert any("gained fields" in line for line in release.problems(RawArticle))

    assert release.main([]) == 0
    assert release.releases(RawArticle)[-1] == before.next()
    assert release.problems(RawArticle) == []
    changelog = release.CHANGELOG.read_text()
    assert changelog.startswith(
        f"## {before.next().label}\n\nNew optional fields: `authors`, `source.site`.\n\n## "
    )
    assert release.main([]) == 0  # nothing more to release
    assert release.releases(RawArticle)[-1] == before.next()


def test_a_new_major_starts_its_own_history(
    released_now: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RawArticle, "SCHEMA", "newswire.article.raw/2")
    assert "has never been released" in release.problems(RawArticle)[0]
    assert release.main([]) == 1  # released, but only a person can explain a new major
    assert [(r.major, r.minor) for r in release.releases(RawArticle)] == [(2, 0)]
    assert release.problems(RawArticle) == []
    assert [r.label for r in release.unlisted_releases()] == ["newswire.article.raw 2.0"]

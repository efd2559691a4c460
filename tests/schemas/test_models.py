from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from schemas import RawArticle, language_code


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("en", "en"),
        ("en-US", "en"),
        (" en_GB ", "en"),
        ("FR-ca", "fr"),
        ("iw", "he"),  # withdrawn codes still written by old software
        ("in-ID", "id"),
        ("ji", "yi"),
        ("English", None),
        ("eng", None),
        ("xx", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_a_language_tag_gives_its_iso_639_1_code_or_none(tag: object, code: str | None) -> None:
    assert language_code(tag) == code


def test_record_times_are_read_in_utc_and_one_utc_cannot_express_is_refused() -> None:
    raw = {
        "id": "0" * 32,
        "title": "A title",
        "fetched_at": "2026-05-01T09:00:00+02:00",
        "published_at": "2026-05-01T08:30:00-05:00",
        "content_hash": "0" * 64,
        "source": {"kind": "seed"},
    }
    article = RawArticle.model_validate(raw)
    assert article.fetched_at == datetime(2026, 5, 1, 7, tzinfo=UTC)
    assert article.fetched_at.utcoffset() == timedelta(0)
    assert article.model_dump(mode="json")["published_at"] == "2026-05-01T13:30:00Z"
    # Before year 1 in UTC: `newswire tail` ended on such a record, which enrich had enriched.
    with pytest.raises(ValidationError, match="a time that UTC cannot express"):
        RawArticle.model_validate(raw | {"published_at": "0001-01-01T00:00:00+05:00"})

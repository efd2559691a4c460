import pytest

from schemas import language_code


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

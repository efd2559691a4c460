import pytest

from newswire.text import cut_at_word


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("Angela Merkel", 20, "Angela Merkel"),  # short enough
        ("Chancellor Angela Merkel spoke", 21, "Chancellor Angela"),  # inside "Merkel"
        ("Chancellor Angela Merkel spoke", 17, "Chancellor Angela"),  # right before a space
        ("Chancellor\nAngela Merkel", 14, "Chancellor"),  # at a line break
        ("Donaudampfschifffahrt", 5, "Donau"),  # no space to cut at
    ],
)
def test_the_limit_does_not_cut_a_word_in_two(text: str, limit: int, cut: str) -> None:
    assert cut_at_word(text, limit) == cut

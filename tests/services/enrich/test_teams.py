"""A city's name read as its team's from the words around it."""

import pytest

from services.enrich.teams import reads_as_team


def read(sentence: str, name: str) -> bool:
    start = sentence.index(name)
    return reads_as_team(sentence, start, start + len(name))


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("They are two points clear of Liverpool, who drew 1-1 at Villa.", "Liverpool"),
        ("Bayern beat Dortmund 3-1 on Saturday.", "Dortmund"),
        ("It was a deserved win over Middlesbrough at the Racecourse Ground.", "Middlesbrough"),
        ("Wrexham 2-1 Middlesbrough: Moore header", "Wrexham"),
        ("Wrexham 2\u20131 Middlesbrough: Moore header", "Middlesbrough"),
        ("It was a first win for Celtic manager Wilfried Nancy.", "Celtic"),
        ("Dortmund's striker missed twice.", "Dortmund"),
        ("They face a tough test at home to Ipswich next weekend.", "Ipswich"),
        ("They had earlier drawn 1-1 with Aberdeen at Pittodrie.", "Aberdeen"),
        ("Chennai trail by six points.", "Chennai"),
    ],
)
def test_a_match_report_s_words_make_a_team(sentence: str, name: str) -> None:
    assert read(sentence, name)


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("The race began in Barcelona a fortnight ago.", "Barcelona"),
        ("The Mayor of London, who said nothing, left.", "London"),
        ("Protesters in Paris were arrested.", "Paris"),
        ("The EU agreed sanctions against Moscow.", "Moscow"),
        ("Tickets for Paris 2024 sold out.", "Paris"),
        ("Madrid's mayor opened the park.", "Madrid"),
    ],
)
def test_other_news_about_a_city_does_not(sentence: str, name: str) -> None:
    assert not read(sentence, name)

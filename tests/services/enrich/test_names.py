"""What a name's own words say: organisation and building head words, given names."""

import pytest

from schemas.models import EntityType
from services.enrich.names import (
    given_names,
    head_word,
    looks_like,
    names_a_club,
    names_a_party,
)

GIVEN = frozenset({"jafar", "erling", "us", "johnson", "arsenio"})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jafar Panahi", EntityType.PERSON),
        ("Erling Haaland", EntityType.PERSON),
        ("Bank of England", EntityType.ORG),
        ("Office for National Statistics", EntityType.ORG),
        ("Manchester United", EntityType.ORG),
        ("Marks & Spencer", EntityType.ORG),
        ("US Federal Reserve", None),  # capitals are no given name
        ("Johnson Space Center", None),  # a building named after someone
        ("Royal Shakespeare Theatre", EntityType.FAC),
        ("MA Chidambaram Stadium", EntityType.FAC),
        ("Palace of Westminster", EntityType.FAC),
        ("Rogers Place", EntityType.FAC),
        ("Sinhalese Sports Club Ground", EntityType.FAC),
        ("Yasukuni Shrine", EntityType.FAC),
        ("Arsenio Hall", None),  # a person whose surname is a building's head word
        ("Barbican Centre", None),  # "Center for American Progress" is a think-tank
        ("Atlas Mountains", EntityType.LOC),
        ("Irish Sea", EntityType.LOC),
        ("Outer Hebrides Islands", EntityType.LOC),
        ("Nottingham Forest", None),  # a club's name; so is "Tampa Bay"
        ("Tampa Bay", None),
        ("Johnson Cup", EntityType.EVENT),  # no person, though "Johnson" is a given name
        ("Italian Grand Prix", EntityType.EVENT),
        ("US Open", EntityType.EVENT),
        ("Volvo PGA Championship", EntityType.EVENT),
        ("Rockstar Games", None),  # a game maker
        ("General Data Protection Regulation", EntityType.LAW),
        ("Online Safety Act", EntityType.LAW),
        ("Treaty of Lisbon", EntityType.LAW),
        ("Finance Bill", None),  # "Kill Bill" is a film
        ("Panahi", None),  # one word says nothing
        ("Isle of Lewis", None),
    ],
)
def test_looks_like(name: str, expected: EntityType | None) -> None:
    assert looks_like(name, GIVEN) is expected


def test_head_word_is_before_of_or_last() -> None:
    assert head_word(["Bank", "of", "England"]) == "Bank"
    assert head_word(["South", "Wales", "Police"]) == "Police"


def test_given_names_come_from_many_locales_without_common_english_words() -> None:
    names = given_names()
    assert {"jafar", "erling", "giorgia", "olaf"} <= names
    assert not {"general", "royal", "red", "sterling"} & names
    assert all(name.isascii() and name == name.casefold() for name in names)


PLACES = frozenset(
    {"manchester", "madrid", "ipswich", "kansas city", "kansas", "cape town", "cape"}
)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("manchester city", True),
        ("ipswich town", True),
        ("real madrid", True),
        ("kansas city", False),  # a town's own name
        ("cape town", False),
        ("manchester", False),
        ("swindon town", False),  # no town this gazetteer knows
        ("real estate", False),
    ],
)
def test_names_a_club_is_a_known_town_with_a_club_s_word(key: str, expected: bool) -> None:
    assert names_a_club(key, PLACES) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Conservatives", True),
        ("Liberal Democrats", True),
        ("Scottish Greens", True),
        ("Conservative", False),  # a member, or a word about the party
        ("Greens", True),
        ("Green", False),
        ("Young Democrats of the north", False),  # a name in lower case is no party's
        ("", False),
    ],
)
def test_names_a_party_is_what_its_members_are_called(name: str, expected: bool) -> None:
    assert names_a_party(name) is expected

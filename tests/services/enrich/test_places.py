"""Country codes for places and demonyms, from the data packages."""

import pytest

from schemas.models import EntityType
from services.enrich.places import country_code, gazetteer, name_key


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Ukraine", "UA"),
        ("Kyiv", "UA"),
        ("Kiev", "UA"),
        ("Ankara", "TR"),
        ("Moscow", "RU"),
        ("the United States", "US"),
        ("U.S.", "US"),
        ("Britain", "GB"),
        ("Texas", "US"),
        ("St. Petersburg", "RU"),
    ],
)
def test_places_get_their_country(name: str, code: str) -> None:
    assert country_code(name, EntityType.GPE) == code


@pytest.mark.parametrize(
    ("demonym", "code"),
    [
        ("Turkish", "TR"),
        ("Belarusian", "BY"),
        ("Ukrainian", "UA"),
        ("Russian", "RU"),
        ("Ukrainians", "UA"),
        ("Korean", "KR"),
    ],
)
def test_demonyms_get_their_country(demonym: str, code: str) -> None:
    assert country_code(demonym, EntityType.NORP) == code


def test_spacy_calling_a_demonym_a_place_still_resolves() -> None:
    assert country_code("Ukrainian", EntityType.GPE) == "UA"


def test_unknown_names_continents_and_non_places_get_none() -> None:
    assert country_code("Black Sea", EntityType.LOC) is None
    assert country_code("Europe", EntityType.LOC) is None
    assert country_code("Asia", EntityType.GPE) is None
    assert country_code("African", EntityType.NORP) is None
    assert country_code("Turkey", EntityType.PERSON) is None
    assert country_code("Western", EntityType.NORP) is None


def test_name_key_ignores_case_accents_dots_possessive_and_the() -> None:
    assert name_key("the U.S.") == name_key("US") == "us"
    assert name_key("Russia's") == "russia"
    assert name_key("TÜRKIYE") == "turkiye"


def test_place_type_says_which_reading_the_gazetteer_knows() -> None:
    places = gazetteer()
    assert places.place_type("Kyiv") is EntityType.GPE
    assert places.place_type("Belarusian") is EntityType.NORP
    assert places.place_type("Erdogan") is None


def test_nation_names_whole_countries_only() -> None:
    places = gazetteer()
    assert [places.nation(name) for name in ("UK", "Britain", "U.S.", "America")] == [
        "GB",
        "GB",
        "US",
        "US",
    ]
    assert places.nation("Georgia") == "GE"  # the country, though a US state has the name
    assert [places.nation(name) for name in ("Wales", "England", "Texas", "Paris")] == [None] * 4


def test_unlabelled_places_are_found_within_sentences_only() -> None:
    text = "Cardiff fans cheered.\n\nTwo were jailed in Cardiff's court, not in Paris or Madrid."
    labelled = [(text.index("Madrid"), text.index("Madrid") + len("Madrid"))]
    found = list(gazetteer().unlabelled_places(text, labelled))
    assert found == [(text.index("Cardiff's"), "Cardiff"), (text.index("Paris"), "Paris")]

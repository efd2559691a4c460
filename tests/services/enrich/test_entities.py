"""From NER mentions to resolved entities: joining, voting, cleaning, salience."""

import pytest

from schemas.models import Entity, EntityType
from services.enrich.entities import (
    MAX_ENTITIES,
    TITLE_WEIGHT,
    Mention,
    clean_name,
    position_weight,
    resolve_entities,
)
from services.enrich.places import Gazetteer, gazetteer


@pytest.fixture(scope="module")
def places() -> Gazetteer:
    return gazetteer()


def by_name(entities: list[Entity]) -> dict[str, Entity]:
    return {entity.name: entity for entity in entities}


def test_surname_joins_the_unique_full_name(places: Gazetteer) -> None:
    mentions = [
        Mention("Recep Tayyip Erdogan", "PERSON"),
        Mention("Erdogan", "PERSON"),
        Mention("Tayyip Erdogan", "PERSON"),
        Mention("Erdogan", "PERSON"),
    ]
    entities = resolve_entities(mentions, places)
    assert [(e.name, e.type, e.mentions) for e in entities] == [
        ("Recep Tayyip Erdogan", EntityType.PERSON, 4)
    ]


@pytest.mark.parametrize(
    "names",
    [("Joe Biden", "Hunter Biden", "Biden"), ("Harry Kane", "Harry Maguire", "Harry")],
)
def test_a_surname_or_given_name_two_people_share_stays_apart(
    places: Gazetteer, names: tuple[str, str, str]
) -> None:
    mentions = [Mention(name, "PERSON") for name in names]
    assert set(by_name(resolve_entities(mentions, places))) == set(names)


def test_given_name_alone_joins_the_unique_full_name(places: Gazetteer) -> None:
    mentions = [
        Mention("Tadej Pogacar", "PERSON"),
        Mention("Tadej", "PERSON"),
        Mention("Jonas Vingegaard", "PERSON"),
    ]
    assert [(e.name, e.mentions) for e in resolve_entities(mentions, places)] == [
        ("Tadej Pogacar", 2),
        ("Jonas Vingegaard", 1),
    ]


def test_a_surname_is_read_before_a_given_name(places: Gazetteer) -> None:
    # "Rogers Place" (a spaCy PERSON) begins with the word; Ted Rogers ends with it.
    mentions = [
        Mention("Ted Rogers", "PERSON"),
        Mention("Rogers Place", "PERSON"),
        Mention("Rogers", "PERSON"),
    ]
    assert {e.name: e.mentions for e in resolve_entities(mentions, places)} == {
        "Ted Rogers": 2,
        "Rogers Place": 1,
    }


def test_only_a_person_joins_by_given_name(places: Gazetteer) -> None:
    mentions = [Mention("Rogers Place", "PERSON"), Mention("Rogers", "ORG")]
    assert set(by_name(resolve_entities(mentions, places))) == {"Rogers Place", "Rogers"}


def test_club_name_after_its_town_joins_the_full_name(places: Gazetteer) -> None:
    mentions = [
        Mention("the Toronto Maple Leafs", "ORG"),
        Mention("The Maple Leafs", "ORG"),
        Mention("Maple Leafs", "ORG"),
    ]
    assert [(e.name, e.mentions) for e in resolve_entities(mentions, places)] == [
        ("Toronto Maple Leafs", 3)
    ]


def test_organisation_without_its_first_word_joins_the_full_name(places: Gazetteer) -> None:
    mentions = [Mention("Reliance Jio", "ORG"), Mention("Jio", "ORG"), Mention("Jio", "ORG")]
    assert [(e.name, e.mentions) for e in resolve_entities(mentions, places)] == [
        ("Reliance Jio", 3)
    ]


@pytest.mark.parametrize(
    ("full", "short"),
    [("US Senate", "Senate"), ("Royal Bank of Canada", "Bank of Canada")],
)
def test_an_organisation_ending_another_s_name_is_not_always_it(
    places: Gazetteer, full: str, short: str
) -> None:
    mentions = [Mention(full, "ORG"), Mention(short, "ORG")]
    assert set(by_name(resolve_entities(mentions, places))) == {full, short}


def test_a_name_read_once_as_an_organisation_s_is_one(places: Gazetteer) -> None:
    mentions = [
        *[Mention("Middlesbrough", "GPE")] * 3,
        Mention("Middlesbrough", "ORG", organisation=True),
        Mention("Leeds", "GPE"),
    ]
    assert {(e.name, e.type, e.mentions) for e in resolve_entities(mentions, places)} == {
        ("Middlesbrough", EntityType.ORG, 4),
        ("Leeds", EntityType.GPE, 1),
    }


def test_acronym_joins_the_name_it_abbreviates(places: Gazetteer) -> None:
    mentions = [
        Mention("the North Atlantic Treaty Organization", "ORG"),
        Mention("NATO", "ORG"),
        Mention("NATO", "ORG"),
    ]
    entities = resolve_entities(mentions, places)
    assert [(e.name, e.mentions) for e in entities] == [("North Atlantic Treaty Organization", 3)]


@pytest.mark.parametrize(
    ("party", "members"),
    [
        ("the Conservative Party", "the Conservatives"),
        ("the Conservative Party of Canada", "Conservatives"),
        ("the Liberal Democratic Party", "Liberal Democrats"),
        ("Christian Democratic Union", "Christian Democrats"),
    ],
)
def test_what_a_party_s_members_are_called_joins_the_party(
    places: Gazetteer, party: str, members: str
) -> None:
    mentions = [Mention(party, "ORG"), Mention(members, "ORG", organisation=True)]
    entities = resolve_entities(mentions, places)
    assert [(e.name, e.type, e.mentions) for e in entities] == [
        (party.removeprefix("the "), EntityType.ORG, 2)
    ]


def test_members_of_another_party_stay_apart(places: Gazetteer) -> None:
    mentions = [Mention("Liberal Democratic Party", "ORG"), Mention("Liberals", "ORG")]
    assert set(by_name(resolve_entities(mentions, places))) == {
        "Liberal Democratic Party",
        "Liberals",
    }


@pytest.mark.parametrize("acronym", ["BOJ", "BoJ"])
def test_an_acronym_may_keep_the_small_words_initials(places: Gazetteer, acronym: str) -> None:
    mentions = [Mention("the Bank of Japan", "ORG"), Mention(acronym, "ORG")]
    entities = resolve_entities(mentions, places)
    assert [(e.name, e.mentions) for e in entities] == [("Bank of Japan", 2)]


def test_majority_decides_the_type_and_one_mislabel_makes_no_second_entity(
    places: Gazetteer,
) -> None:
    mentions = [
        Mention("Erdogan", "PERSON"),
        Mention("Erdogan", "GPE"),
        Mention("Erdogan", "PERSON"),
        Mention("Recep Tayyip Erdogan", "PERSON"),
    ]
    entities = resolve_entities(mentions, places)
    assert len(entities) == 1
    assert entities[0].type is EntityType.PERSON
    assert entities[0].mentions == 4


def test_a_country_read_as_a_people_is_still_a_country(places: Gazetteer) -> None:
    mentions = [*[Mention("Paraguay", "NORP")] * 3, Mention("Turkish", "NORP")]
    assert {(e.name, e.type, e.country_code) for e in resolve_entities(mentions, places)} == {
        ("Paraguay", EntityType.GPE, "PY"),
        ("Turkish", EntityType.NORP, "TR"),
    }


def test_known_place_wins_a_tie_against_a_mislabel(places: Gazetteer) -> None:
    entities = resolve_entities([Mention("Kyiv", "PERSON")], places)
    assert (entities[0].type, entities[0].country_code) == (EntityType.GPE, "UA")


def test_possessive_and_leading_the_are_normalised(places: Gazetteer) -> None:
    mentions = [
        Mention("Russia's", "GPE"),
        Mention("Russia", "GPE"),
        Mention("the United States", "GPE"),
        Mention("United States", "GPE"),
    ]
    entities = by_name(resolve_entities(mentions, places))
    assert set(entities) == {"Russia", "United States"}
    assert entities["Russia"].mentions == 2
    assert entities["Russia"].country_code == "RU"
    assert entities["United States"].country_code == "US"


def test_a_name_in_capitals_only_gives_way_to_its_usual_spelling(places: Gazetteer) -> None:
    mentions = [
        Mention("NAIROBI", "GPE"),  # the dateline
        Mention("Nairobi", "GPE"),
        Mention("NATO", "ORG"),  # an acronym has no other spelling
        Mention("NATO", "ORG"),
    ]
    entities = by_name(resolve_entities(mentions, places))
    assert set(entities) == {"Nairobi", "NATO"}
    assert (entities["Nairobi"].mentions, entities["Nairobi"].country_code) == (2, "KE")


def test_junk_spans_are_dropped(places: Gazetteer) -> None:
    mentions = [
        Mention("2019", "DATE"),
        Mention("March 1", "DATE"),
        Mention("five", "CARDINAL"),
        Mention("$3 billion", "MONEY"),
        Mention("1936", "GPE"),
        Mention("X", "ORG"),
        Mention("!!", "ORG"),
        Mention("the previous day", "ORG"),
        Mention("Reuters\n\nLive", "ORG"),
        Mention("RL", "PERSON"),
        Mention("Reuters", "ORG"),
    ]
    assert [entity.name for entity in resolve_entities(mentions, places)] == ["Reuters"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Russia's", "Russia"),
        ("Russia\u2019s", "Russia"),
        ("Reuters'", "Reuters"),
        ("the United States", "United States"),
        ('"NATO"', "NATO"),
        ("  Recep   Tayyip Erdogan ", "Recep Tayyip Erdogan"),
        ("2019", None),
        ("x", None),
        ("...", None),
        ("Telecom Regulatory Authority of India (Trai", "Telecom Regulatory Authority of India"),
        ("Borussia Dortmund 3-1", "Borussia Dortmund"),
        ("Wrexham 2\u20131", "Wrexham"),
        ("McLaren 1:28:47.213", "McLaren"),
        ("Alpine +3.904 secs", "Alpine"),
        ("Isak 78", "Isak"),
        ("Channel 4", "Channel 4"),
        ("Paris 2024", "Paris 2024"),
        ("Alliance 90/The Greens", "Alliance 90/The Greens"),
        ("FTSE 100", "FTSE 100"),
        ("Apple (AAPL)", "Apple"),
        ("Galaxy\n\n", "Galaxy"),
        ("AI", None),
        ("Mistral AI", "Mistral AI"),
        ("Galaxy\n\nLionel Messi", None),
        ("the Party for Freedom of", "Party for Freedom"),
        ("Procter and", "Procter"),
        ("Steffi Graf 6-4 6-3", "Steffi Graf"),  # a tennis match's sets
        ("Sampras 7-6 (7-3) 6-4", "Sampras"),
        ("Borussia Dortmund 3-1,", "Borussia Dortmund"),
    ],
)
def test_clean_name(text: str, expected: str | None) -> None:
    assert clean_name(text) == expected


def test_a_common_word_is_a_name_once_it_is_written_as_one_outside_a_sentence_s_start(
    places: Gazetteer,
) -> None:
    mentions = [
        Mention("Party", "ORG", common_word=True),
        Mention("Labour", "ORG", common_word=True),
        Mention("Labour", "ORG"),
    ]
    assert [(e.name, e.mentions) for e in resolve_entities(mentions, places)] == [("Labour", 2)]


def test_a_person_s_name_never_ends_in_a_number() -> None:
    assert clean_name("Welbeck 9", EntityType.PERSON) == "Welbeck"
    assert clean_name("Welbeck 9,", EntityType.PERSON) == "Welbeck"  # a list of scorers
    assert clean_name("Channel 4", EntityType.ORG) == "Channel 4"


def test_salience_favours_headline_and_lead_and_sums_to_one(places: Gazetteer) -> None:
    body_start = 60
    mentions = [
        Mention("Ukraine", "GPE", position_weight(10, body_start)),
        Mention("Ukraine", "GPE", position_weight(200, body_start)),
        Mention("Vladimir Putin", "PERSON", position_weight(3000, body_start)),
        Mention("Moscow", "GPE", position_weight(5000, body_start)),
    ]
    entities = resolve_entities(mentions, places)
    assert [entity.name for entity in entities] == ["Ukraine", "Vladimir Putin", "Moscow"]
    assert entities[0].salience <= 1.0
    assert sum(entity.salience for entity in entities) == pytest.approx(1.0, abs=1e-3)


def test_position_weight_falls_from_headline_through_lead() -> None:
    weights = [position_weight(start, 50) for start in (0, 50, 500, 3000, 30000)]
    assert weights[0] == TITLE_WEIGHT
    assert weights == sorted(weights, reverse=True)
    assert weights[-1] == pytest.approx(1.0, abs=1e-3)


def test_no_mentions_no_entities(places: Gazetteer) -> None:
    assert resolve_entities([], places) == []


def test_company_short_name_joins_its_full_name(places: Gazetteer) -> None:
    mentions = [Mention("Apple Inc.", "ORG"), Mention("Apple", "ORG"), Mention("Apple", "ORG")]
    assert [(e.name, e.mentions) for e in resolve_entities(mentions, places)] == [("Apple Inc.", 3)]


def test_a_company_s_short_name_taken_for_a_person_s_joins_its_full_name(
    places: Gazetteer,
) -> None:
    mentions = [
        Mention("Santander UK", "ORG"),
        Mention("Santander", "PERSON"),
        Mention("Santander", "PERSON"),
    ]
    assert [(e.name, e.type, e.mentions) for e in resolve_entities(mentions, places)] == [
        ("Santander UK", EntityType.ORG, 3)
    ]


def test_a_surname_joins_the_person_before_a_company_bearing_it(places: Gazetteer) -> None:
    mentions = [
        Mention("Elon Musk", "PERSON"),
        Mention("Musk Foundation", "ORG"),
        Mention("Musk", "PERSON"),
    ]
    found = {e.name: (e.type, e.mentions) for e in resolve_entities(mentions, places)}
    assert found == {
        "Elon Musk": (EntityType.PERSON, 2),
        "Musk Foundation": (EntityType.ORG, 1),
    }


def test_surname_taken_for_a_place_joins_the_full_name(places: Gazetteer) -> None:
    mentions = [Mention("Wael Sawan", "PERSON"), Mention("Sawan", "GPE"), Mention("Sawan", "GPE")]
    assert [(e.name, e.type, e.mentions) for e in resolve_entities(mentions, places)] == [
        ("Wael Sawan", EntityType.PERSON, 3)
    ]


def test_surname_taken_for_a_building_joins_the_full_name(places: Gazetteer) -> None:
    mentions = [
        Mention("Marine Le Pen", "PERSON"),
        Mention("Le Pen", "FAC"),
        Mention("Le Pen", "FAC"),
    ]
    assert [(e.name, e.type, e.mentions) for e in resolve_entities(mentions, places)] == [
        ("Marine Le Pen", EntityType.PERSON, 3)
    ]


def test_joined_surnames_vote_for_the_full_names_type(places: Gazetteer) -> None:
    mentions = [Mention("Shigeru Ishiba", "PERSON"), *[Mention("Ishiba", "ORG")] * 3]
    assert [(e.name, e.type, e.mentions) for e in resolve_entities(mentions, places)] == [
        ("Shigeru Ishiba", EntityType.PERSON, 4)
    ]


def test_a_given_name_outvotes_one_mislabel(places: Gazetteer) -> None:
    mentions = [Mention("Jafar Panahi", "ORG"), Mention("Panahi", "PERSON")]
    entities = resolve_entities(mentions, places, given=frozenset({"jafar"}))
    assert [(e.name, e.type, e.mentions) for e in entities] == [
        ("Jafar Panahi", EntityType.PERSON, 2)
    ]
    # Without it, spaCy's type stands, and the surname joins the name it took for a company's.
    unknown = resolve_entities(mentions, places, given=frozenset())
    assert [(e.name, e.type, e.mentions) for e in unknown] == [("Jafar Panahi", EntityType.ORG, 2)]


def test_an_organisation_head_word_outvotes_one_mislabel(places: Gazetteer) -> None:
    mentions = [Mention("All England Club", "FAC"), Mention("Bank of Ireland", "GPE")]
    assert {(e.name, e.type) for e in resolve_entities(mentions, places)} == {
        ("All England Club", EntityType.ORG),
        ("Bank of Ireland", EntityType.ORG),
    }


def test_headline_span_joins_the_body_name_it_wraps(places: Gazetteer) -> None:
    mentions = [
        Mention("Carmaker Stellantis", "ORG", TITLE_WEIGHT, in_title=True),
        Mention("Stellantis", "ORG"),
        Mention("Rival Volkswagen", "ORG"),  # in the body: a name of its own
    ]
    entities = resolve_entities(mentions, places)
    assert {(e.name, e.mentions) for e in entities} == {
        ("Stellantis", 2),
        ("Rival Volkswagen", 1),
    }


def test_an_articles_names_for_one_country_are_one_entity(places: Gazetteer) -> None:
    mentions = [
        Mention("the United States", "GPE"),
        Mention("U.S.", "GPE"),
        Mention("Britain", "GPE"),
        Mention("UK", "GPE"),
        Mention("England", "GPE"),
        Mention("Wales", "GPE"),
    ]
    entities = by_name(resolve_entities(mentions, places))
    assert set(entities) == {"United States", "Britain", "England", "Wales"}
    assert (entities["United States"].mentions, entities["United States"].country_code) == (2, "US")
    assert entities["Britain"].mentions == 2


def test_short_capitals_get_no_place_vote(places: Gazetteer) -> None:
    # "GP" is Guadeloupe's ISO code, and a family doctor in British news.
    entities = resolve_entities([Mention("GP", "ORG")], places)
    assert [(e.name, e.type) for e in entities] == [("GP", EntityType.ORG)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Norris wins Dutch Grand Prix as Verstappen", None),
        ("Bank of England", "Bank of England"),
        ("FTSE 100", "FTSE 100"),
        ("Ursula von der Leyen", "Ursula von der Leyen"),
        ("Abdel Fattah al-Burhan", "Abdel Fattah al-Burhan"),
        ("McDavid hat-trick", None),
    ],
)
def test_multiword_names_with_common_words_are_junk(text: str, expected: str | None) -> None:
    assert clean_name(text) == expected


def test_an_article_naming_thousands_keeps_the_most_salient(places: Gazetteer) -> None:
    # A list of names (results, a directory) would make a record larger than Kafka takes.
    names = [f"Zorblax{chr(65 + n // 26 % 26)}{chr(65 + n % 26)} Industries" for n in range(600)]
    mentions = [Mention(name, "ORG", weight=1000.0 - rank) for rank, name in enumerate(names)]
    entities = resolve_entities(mentions, places)
    assert [entity.name for entity in entities] == names[:MAX_ENTITIES]

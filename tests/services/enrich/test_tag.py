"""`Tagger.tag` end to end: the seed article, order, other languages and hostile input."""

import hashlib
import logging
import time
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from spacy.tokens import Doc
from threadpoolctl import threadpool_info

from schemas.models import EnrichedArticle, EntityType, Feature, RawArticle, Source, SourceKind
from services.enrich.fingerprint import rules_digest
from services.enrich.keywords import UNSPACED
from services.enrich.tag import (
    NER_MAX_CHARS,
    NER_MAX_TOKENS,
    Tagger,
    _adjacent_spans_joined,
    _taggable,
)

SEED = Path(__file__).resolve().parents[3] / "seeds" / "000_47538fdd1a9e32f6.txt"
MEETING = (  # English, long enough for its language to be told
    "Chancellor Olaf Scholz met President Emmanuel Macron in Paris on Monday. The two leaders "
    "talked about the budget, the war and the price of energy, and they said that they would "
    "meet again before the end of the year."
)


def article(title: str, body: str, language: str | None = None) -> RawArticle:
    digest = hashlib.sha256(f"{title}\n{body}".encode(errors="surrogatepass")).hexdigest()
    return RawArticle(
        id=digest[:32],
        title=title,
        body=body,
        language=language,
        fetched_at=datetime.now(UTC),
        content_hash=digest,
        source=Source(kind=SourceKind.SEED, path="test.txt"),
    )


def entity_types(tagger: Tagger, title: str, body: str) -> dict[str, EntityType]:
    """Each entity the tagger finds in the article, by name, with its type."""
    (result,) = tagger.tag([article(title, body)])
    return {entity.name: entity.type for entity in result.entities}


def seed_article() -> RawArticle:
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n\n")
    return article(title.strip(), body.strip())


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(batch_size=4)


@pytest.fixture(scope="module")
def seed(tagger: Tagger) -> EnrichedArticle:
    return tagger.tag([seed_article()])[0]


def test_seed_article_people(seed: EnrichedArticle) -> None:
    erdogan = [entity for entity in seed.entities if "Erdogan" in entity.name]
    assert [(entity.name, entity.type) for entity in erdogan] == [
        ("Recep Tayyip Erdogan", EntityType.PERSON)
    ]
    assert erdogan[0].mentions >= 4
    names = {entity.name: entity for entity in seed.entities}
    assert names["Alyaksandr Lukashenka"].type is EntityType.PERSON


def test_seed_article_places_and_organisations(seed: EnrichedArticle) -> None:
    names = {entity.name: entity for entity in seed.entities}
    assert names["NATO"].type is EntityType.ORG
    assert (names["Turkey"].type, names["Turkey"].country_code) == (EntityType.GPE, "TR")
    assert (names["Ukraine"].type, names["Ukraine"].country_code) == (EntityType.GPE, "UA")
    assert names["Turkish"].country_code == "TR"


def test_seed_article_topics_language_keywords(seed: EnrichedArticle) -> None:
    codes = {topic.code for topic in seed.topics}
    assert codes & {"medtop:16000000", "medtop:11000000"}
    assert seed.language == "en"
    assert seed.keywords
    scores = [entity.salience for entity in seed.entities]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)


def test_enriched_record_keeps_raw_fields_and_names_its_enricher(
    tagger: Tagger, seed: EnrichedArticle
) -> None:
    raw = seed_article()
    assert seed.model_dump(include=set(RawArticle.model_fields) - {"fetched_at", "language"}) == (
        raw.model_dump(exclude={"fetched_at", "language"})
    )
    assert seed.enricher == tagger.enricher
    assert tagger.enricher.models["en_core_web_md"] == "3.7.1"  # the model, not its package
    assert tagger.enricher.models["newswire_rules"] == rules_digest()
    assert seed.enriched_at.tzinfo is not None


def test_ner_runs_on_one_blas_thread_and_leaves_the_setting_as_it_was(
    tagger: Tagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def blas_threads() -> set[int]:
        return {int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"}

    before, during = blas_threads(), []
    pipe = tagger._nlp.pipe

    def pipe_noting_threads(*args: Any, **kwargs: Any) -> Iterator[Doc]:
        during.append(blas_threads())
        return pipe(*args, **kwargs)

    monkeypatch.setattr(tagger._nlp, "pipe", pipe_noting_threads)
    tagger.tag([seed_article()])
    assert during == [{1}]
    assert blas_threads() == before


def test_batch_keeps_input_order(tagger: Tagger) -> None:
    articles = [
        article(f"Report {number}", f"Officials in Paris met on day {number}.")
        for number in range(6)
    ]
    assert [result.id for result in tagger.tag(articles)] == [item.id for item in articles]
    assert tagger.tag([]) == []


def test_non_english_article_keeps_language_and_keywords_only(
    tagger: Tagger, caplog: pytest.LogCaptureFixture
) -> None:
    french = article(
        "Le gouvernement présente sa réforme des retraites",
        "Le Premier ministre a présenté mardi à Paris la réforme des retraites, "
        "que les syndicats jugent injuste. Une grève nationale est prévue jeudi.",
    )
    with caplog.at_level(logging.INFO, logger="services.enrich.tag"):
        (result,) = tagger.tag([french])
    assert result.language == "fr"
    assert result.keywords
    assert (result.entities, result.topics) == ([], [])
    reason = "text in 'fr': entities and topics are found in English only"
    assert result.skipped == {Feature.ENTITIES: reason, Feature.TOPICS: reason}
    assert french.id in caplog.text
    assert "not English" in caplog.text


def test_text_without_spaces_between_words_says_that_keywords_were_not_looked_for(
    tagger: Tagger,
) -> None:
    chinese = article(
        "中国经济增长放缓",
        "国家统计局周一公布的数据显示\uff0c中国第三季度国内生产总值同比增长百分之四点六\uff0c低于市场预期。",
    )
    (result,) = tagger.tag([chinese])
    assert (result.language, result.keywords) == ("zh", [])
    assert set(result.skipped) == {Feature.ENTITIES, Feature.TOPICS, Feature.KEYWORDS}
    assert result.skipped[Feature.KEYWORDS] == UNSPACED


def test_an_english_article_says_nothing_was_skipped(seed: EnrichedArticle) -> None:
    assert seed.skipped == {}


def test_the_feed_s_language_stands_when_the_text_is_too_short_to_tell(tagger: Tagger) -> None:
    (result,) = tagger.tag([article("Kurz notiert", "Regierung tagt.", "de")])
    assert result.language == "de"
    assert result.entities == []


def test_the_text_s_language_wins_over_the_feed_s(tagger: Tagger) -> None:
    # A channel declares one language for every item; this item is English all the same.
    (result,) = tagger.tag([article("Scholz and Macron meet in Paris", MEETING, "fr")])
    assert result.language == "en"
    assert "Emmanuel Macron" in {entity.name for entity in result.entities}


@pytest.mark.parametrize(
    ("tag", "code"), [("en_US", "en"), ("EN-gb", "en"), ("English", None), ("xx-XX", None)]
)
def test_a_language_tag_in_another_spelling_still_gets_english_tagging(
    tagger: Tagger, tag: str, code: str | None
) -> None:
    # Records of other producers, seeds and `newswire tag` input, on a text too short for its
    # language to be told: the tag decides. "English" and "xx" are no ISO 639-1 codes: the
    # language is unknown, and unknown may be English.
    (result,) = tagger.tag([article("Scholz in Paris", "Olaf Scholz met Emmanuel Macron.", tag)])
    assert result.language == code
    assert {"Olaf Scholz", "Emmanuel Macron"} <= {entity.name for entity in result.entities}


@pytest.mark.timeout(120)
def test_hostile_input_is_tagged_without_hanging(tagger: Tagger) -> None:
    paragraph = "Officials in Kyiv and Warsaw met on Monday to discuss grain exports. " * 20
    huge = "\n\n".join([paragraph] * (2_000_000 // len(paragraph) + 1))
    assert len(huge) > 2_000_000
    hostile = [
        article("", ""),
        article("Title only, no body", ""),
        article("Big", huge),
        article(
            "Null\x00 bytes\x07 and \x1b[31mescapes", "Text\x00with\x0bcontrol\x7f chars in Paris."
        ),
        article("Spaces", " \n\t " * 1000),
        article("Путин провёл переговоры", "Президент провёл переговоры в Москве. " * 50),
    ]
    started = time.perf_counter()
    results = tagger.tag(hostile)
    assert time.perf_counter() - started < 60
    assert [result.id for result in results] == [item.id for item in hostile]
    big = results[2]
    assert big.entities  # tagged up to the cap rather than skipped
    assert sum(entity.mentions for entity in big.entities) < NER_MAX_CHARS
    assert (results[-1].language, results[-1].entities) == ("ru", [])
    for result in results:
        result.model_dump_json()  # every record is still writable


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "storm",
    [
        "?." * 15_000,  # 30,000 characters: 168 s in spaCy's tokenizer when left as they are
        "?.?.?.?.?.?.?. " * 2_000,  # as many short runs
        "\U0001f600a" * 50_000,  # one token per character: NER's time goes with tokens
    ],
    ids=["punctuation", "punctuation-words", "emoji"],
)
def test_a_body_made_to_be_slow_to_tag_takes_seconds_and_keeps_its_names(
    tagger: Tagger, storm: str
) -> None:
    hostile = article("Storm", f"Angela Merkel visited Paris. {storm} Emmanuel Macron waited.")
    started = time.perf_counter()
    (result,) = tagger.tag([hostile])
    assert time.perf_counter() - started < 10
    assert "Angela Merkel" in {entity.name for entity in result.entities}


def test_the_character_cap_does_not_cut_a_name_in_two(tagger: Tagger) -> None:
    title = "Budget"
    cap = NER_MAX_CHARS - len(title) - 2  # what the cap leaves the body
    filler = "The committee met on Tuesday in the capital. " * 2_000
    padding = "x" * (cap - len(filler) - len(" Chancellor Angela Mer"))
    body = f"{filler}{padding} Chancellor Angela Merkel spoke."
    assert body[cap - 3 : cap] == "Mer"  # the cap falls inside the surname
    (result,) = tagger.tag([article(title, body)])
    words = set(body.split())
    for entity in result.entities:
        assert set(entity.name.split()) <= words, entity.name


def test_names_past_the_token_cap_are_not_tagged(tagger: Tagger) -> None:
    body = f"Angela Merkel visited Paris. {'a ' * NER_MAX_TOKENS}Emmanuel Macron waited."
    assert len(body) < NER_MAX_CHARS  # the token cap, not the character cap, cuts it
    (result,) = tagger.tag([article("Long", body)])
    names = {entity.name for entity in result.entities}
    assert "Angela Merkel" in names and "Emmanuel Macron" not in names


def test_person_takes_in_the_given_name_spacy_left_out_and_missed_places_are_added(
    tagger: Tagger,
) -> None:
    (result,) = tagger.tag(
        [
            article(
                "Telescope named after astronomer",
                "The observatory is named after the American astronomer Vera Rubin, whose work "
                "provided the first strong evidence for dark matter. Rubin died in 2016.\n\n"
                "Two men were jailed for a robbery at a convenience store in Cardiff last year.",
            )
        ]
    )
    names = {entity.name: entity for entity in result.entities}
    assert (names["Vera Rubin"].type, names["Vera Rubin"].mentions) == (EntityType.PERSON, 2)
    assert "Rubin" not in names
    # spaCy reads "Cardiff last year" as one DATE.
    assert (names["Cardiff"].type, names["Cardiff"].country_code) == (EntityType.GPE, "GB")


def test_a_headline_s_last_word_and_the_lead_s_first_name_stay_two_names(tagger: Tagger) -> None:
    (result,) = tagger.tag(
        [
            article(
                "Messi scores twice as Inter Miami christen new stadium with win over Galaxy",
                "Lionel Messi scored twice as Inter Miami beat the LA Galaxy 3-1 on Saturday in "
                "the first game at their new stadium. Messi said the fans had waited for it.",
            )
        ]
    )
    names = {entity.name: entity for entity in result.entities}
    # spaCy reads "Galaxy\n\nLionel Messi" as one PRODUCT when the line break is no boundary.
    assert (names["Lionel Messi"].type, names["Lionel Messi"].mentions) == (EntityType.PERSON, 3)


def test_a_title_case_headline_makes_no_names_of_its_capitals(tagger: Tagger) -> None:
    names = entity_types(
        tagger,
        "Senate Passes Stopgap Spending Bill Hours Before Shutdown Deadline",
        "The Senate passed a stopgap spending bill late on Friday, hours before a shutdown "
        "deadline, sending it to President Donald Trump to sign. Majority leader John Thune said "
        "the bill bought time for talks on a full budget.",
    )
    # As written, spaCy found "Bill Hours" in the headline.
    assert not {"Bill Hours", "Stopgap Spending Bill Hours"} & names.keys()
    assert names["Senate"] is EntityType.ORG
    assert names["Donald Trump"] is EntityType.PERSON


def test_a_city_named_for_its_club_is_an_organisation_and_a_country_stays_a_place(
    tagger: Tagger,
) -> None:
    types = entity_types(
        tagger,
        "Moore header keeps Wrexham in play-off hunt",
        "Kieffer Moore's late header gave Wrexham a deserved 2-1 win over Middlesbrough on "
        "Saturday. Middlesbrough, who started the day second, drop to seventh.\n\n"
        "In Leeds, England beat India by five wickets to level the series.",
    )
    assert types["Middlesbrough"] is EntityType.ORG
    assert (types["Leeds"], types["England"], types["India"]) == (EntityType.GPE,) * 3


def test_a_town_s_name_with_a_club_s_word_is_a_club_and_a_city_s_own_name_a_place(
    tagger: Tagger,
) -> None:
    types = entity_types(
        tagger,
        "Arsenal go top",
        "Arsenal moved top with a win at Manchester City on Sunday. City host Real Madrid "
        "next, and Leeds United visit Ipswich Town. Toronto FC beat Nashville SC 2-1. The "
        "mayors of Mexico City and Kansas City met in Cape Town.",
    )
    clubs = (
        "Manchester City",
        "Real Madrid",
        "Leeds United",
        "Ipswich Town",
        "Toronto FC",
        "Nashville SC",
    )
    assert {name: types.get(name) for name in clubs} == dict.fromkeys(clubs, EntityType.ORG)
    places = ("Mexico City", "Kansas City", "Cape Town")
    assert {name: types.get(name) for name in places} == dict.fromkeys(places, EntityType.GPE)
    assert not {"Madrid", "Toronto", "Nashville"} & types.keys()


def test_what_a_party_s_members_are_called_is_the_party(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "Voters punish parties",
        "Labour and the Conservatives lost seats to Reform UK and the Liberal Democrats on "
        "Thursday. The Christian Democrats gained, and Conservative voters stayed at home.",
    )
    parties = ("Conservatives", "Liberal Democrats", "Christian Democrats")
    assert {name: types.get(name) for name in parties} == dict.fromkeys(parties, EntityType.ORG)
    # spaCy's NORP "Democrats" of "Liberal Democrats" is no party of its own.
    assert "Democrats" not in types
    assert types.get("Conservative") in (EntityType.NORP, None)


def test_a_common_word_opening_a_sentence_is_no_name(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "Lib Dems launch manifesto",
        "Party leader Ed Davey said the party would fight for carers.\n\n"
        'Health Secretary Wes Streeting said: "Health matters." Labour blamed the labour '
        "market, and had a plan for health, said a poll that put Labour second.",
    )
    assert {"Ed Davey", "Wes Streeting", "Labour"} <= types.keys()
    assert not {"Party", "Health"} & types.keys()


def test_a_company_introduced_as_one_is_an_organisation(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "Cannes winner finds a home",
        "The streaming service Mubi said on Sunday that it had bought the film. Mubi will "
        "release it in cinemas in the autumn, and Mubi subscribers will see it by Christmas.",
    )
    assert types["Mubi"] is EntityType.ORG


def test_an_organisation_introduced_as_one_is_tagged_where_spacy_left_it_out(
    tagger: Tagger,
) -> None:
    types = entity_types(
        tagger,
        "Banks cut mortgage rates",
        "Rates were cut on Monday by lenders including Barclays and Santander. Analysts at "
        "Goodbody, the Dublin stockbroker, said the company Monday would follow.",
    )
    organisations = ("Barclays", "Santander", "Goodbody")
    assert {name: types.get(name) for name in organisations} == dict.fromkeys(
        organisations, EntityType.ORG
    )
    assert "Monday" not in types  # spaCy's date, whatever the words before it


def test_two_spans_naming_one_person_or_one_country_are_one_name() -> None:
    text = (
        "Finance Minister Purbaya Yudhi Sadewa told Sri Mulyani Indrawati, and Ali Baba said "
        "Trinidad and Tobago and Spain and Portugal"
    )
    spans = [
        (17, "Purbaya", "PERSON"),
        (25, "Yudhi Sadewa", "PERSON"),
        (43, "Sri Mulyani Indrawati", "PERSON"),
        (70, "Ali", "PERSON"),
        (74, "Baba", "ORG"),
        (84, "Trinidad", "GPE"),
        (97, "Tobago", "GPE"),
        (108, "Spain", "GPE"),
        (118, "Portugal", "GPE"),
    ]
    assert all(text[start : start + len(name)] == name for start, name, _ in spans)
    assert _adjacent_spans_joined(spans, text, {"trinidad and tobago"}) == [
        (17, "Purbaya Yudhi Sadewa", "PERSON"),
        (43, "Sri Mulyani Indrawati", "PERSON"),
        (70, "Ali", "PERSON"),
        (74, "Baba", "ORG"),
        (84, "Trinidad and Tobago", "GPE"),
        (108, "Spain", "GPE"),
        (118, "Portugal", "GPE"),
    ]


def test_an_institution_s_name_spacy_split_at_its_and_is_one_name(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "Tour goes ahead",
        "The England and Wales Cricket Board said the tour of the Andaman and Nicobar Islands "
        "would go ahead. Officials from the US and European Union met, and so did the Pentagon "
        "and the Internal Revenue Service.",
    )
    assert types.get("England and Wales Cricket Board") is EntityType.ORG
    assert types.get("Andaman and Nicobar Islands") in (EntityType.GPE, EntityType.LOC)
    assert not {"Wales Cricket Board", "Nicobar Islands"} & types.keys()
    # A country, or another name after "the", is a name of its own.
    assert (types.get("US"), types.get("European Union")) == (EntityType.GPE, EntityType.ORG)
    assert types.get("Internal Revenue Service") is EntityType.ORG


def test_a_name_after_a_person_s_role_is_a_person_s_unless_its_words_say_otherwise(
    tagger: Tagger,
) -> None:
    types = entity_types(
        tagger,
        "Satellite internet licence granted",
        "Telecoms minister Jyotiraditya Scindia said satellite internet would close the last "
        "gap. Indiana lost their star guard Tyrese Haliburton. He is the coach Football "
        "Association officials chose, and the kind of mayor London needs.",
    )
    people = ("Jyotiraditya Scindia", "Tyrese Haliburton")
    assert {name: types.get(name) for name in people} == dict.fromkeys(people, EntityType.PERSON)
    assert types.get("Football Association") is EntityType.ORG
    assert types.get("London") is EntityType.GPE


def test_no_keyword_cuts_a_name_the_tagger_found(tagger: Tagger) -> None:
    enriched = tagger.tag(
        [
            article(
                "Sudan army retakes presidential palace",
                "Sudan's army said on Friday it had retaken the presidential palace in Khartoum. "
                "Army spokesman Nabil Abdallah said the paramilitary Rapid Support Forces had "
                "fled, and Prime Minister Kamil Idris's office said talks would go on.",
            )
        ]
    )[0]
    assert {"Nabil Abdallah", "Kamil Idris"} <= {entity.name for entity in enriched.entities}
    assert not {"Army spokesman Nabil", "Prime Minister Kamil"} & set(enriched.keywords)


def test_invisible_and_control_characters_never_reach_names_or_keywords(tagger: Tagger) -> None:
    hostile = article(
        "\u202eNORAM\u202c Smith meets Obama\u2069 in Ber\u00adlin",
        "Olaf\u200e Scholz and Jo\u200dhn Do\u200ce met Emmanuel\x9b31 Macron in Berlin on "
        "Monday. <a href='https://x.test'>Emmanuel Macron</a><svg> spoke later, and Angela "
        "Merkel\ue000 listened.",
    )
    (result,) = tagger.tag([hostile])
    names = [entity.name for entity in result.entities]
    shown = [*names, *result.keywords]
    assert not [text for text in shown if any(unicodedata.category(c) in "CcCfCo" for c in text)]
    assert not [name for name in names if "<" in name or ">" in name]
    assert {"Olaf Scholz", "Berlin", "Obama"} <= set(names)


def test_every_invisible_format_character_is_removed_from_the_text() -> None:
    joiners = {"\u200c", "\u200d"}  # letters' business in Persian or Hindi
    invisible = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    kept = [char for char in invisible if _taggable(f"\u0645{char}\u06cc") != "\u0645\u06cc"]
    assert set(kept) == joiners  # between two Persian letters
    assert all(_taggable(f"Ber{char}lin") == "Berlin" for char in invisible)
    assert _taggable("Jo\u200dhn \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "John \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )


def test_an_english_item_full_of_foreign_names_keeps_the_language_its_feed_declares(
    tagger: Tagger,
) -> None:
    text = "Brazilian President Luiz Inácio Lula da Silva visited São Paulo on Friday."
    (result,) = tagger.tag([article("Lula visits São Paulo", text, "en")])
    assert (result.language, result.skipped) == ("en", {})
    assert {"Luiz Inácio Lula da Silva", "São Paulo"} <= {entity.name for entity in result.entities}


def test_wire_copy_s_slug_dateline_and_lines_of_results_are_read_as_such(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "SOCCER - ARSENAL BEAT CHELSEA TO GO TOP",
        "LONDON, March 1 (Reuters) \u2014 Arsenal went top of the Premier League on Saturday "
        "with a 2-1 win over Chelsea.\n\n"
        "Results on Saturday:\n"
        "Arsenal 2 Chelsea 1\n"
        "Newcastle 0 Aston Villa 2\n"
        "Fulham 1 Brentford 1\n"
        "Milan 1 (Leao 55) Paris St Germain 2 (Dembele 31, Doue 79)\n\n"
        "Playing Sunday: Everton v Liverpool\n"
        "Sunderland v Nottingham Forest\n\n"
        "1. Arsenal 24 17 5 2 49 17 56\n"
        "6. Middlesbrough 24 12 4 8 40 31 40",
    )
    teams = (
        "Arsenal",
        "Chelsea",
        "Newcastle",
        "Aston Villa",
        "Fulham",
        "Brentford",
        "Paris St Germain",
        "Everton",
        "Sunderland",
        "Nottingham Forest",
        "Middlesbrough",
    )
    assert {name: types.get(name) for name in teams} == dict.fromkeys(teams, EntityType.ORG)
    assert (types["London"], types["Dembele"]) == (EntityType.GPE, EntityType.PERSON)
    assert "Paris" not in types
    assert not [name for name in types if name.isupper() or "-" in name or "\u2014" in name]


def test_a_race_s_teams_and_times_and_an_ap_dateline_s_state(tagger: Tagger) -> None:
    (result,) = tagger.tag(
        [
            article(
                "Piastri wins in Japan",
                "SUZUKA, Japan, April 6 (Reuters) - Oscar Piastri won on Sunday, ahead of his "
                "team mate Lando Norris. It was in Lagos, Nigeria, that he was born, not in "
                "Augusta, Ga.\n\n"
                "1. Oscar Piastri (Australia) McLaren 1:28:47.213\n"
                "2. Lando Norris (Britain) McLaren +3.904 secs\n"
                "3. Fernando Alonso (Spain) Aston Martin +48.190\n",
            )
        ]
    )
    found = {entity.name: (entity.type, entity.country_code) for entity in result.entities}
    assert found["McLaren"] == found["Aston Martin"] == (EntityType.ORG, None)
    assert found["Oscar Piastri"] == found["Fernando Alonso"] == (EntityType.PERSON, None)
    assert found["Lagos"] == (EntityType.GPE, "NG")
    assert found["Georgia"] == (EntityType.GPE, "US")
    assert not {"Ga.", "Lagos, Nigeria"} & found.keys()


def test_the_name_opening_the_lead_is_tagged_where_spacy_left_it_out(tagger: Tagger) -> None:
    (result,) = tagger.tag(
        [
            article(
                "Woods withdraws from Masters",
                "Tiger Woods withdrew from the Masters on Tuesday with a back injury.",
            )
        ]
    )
    # Read after the headline, spaCy tagged nothing of "Tiger Woods withdrew".
    assert [(e.name, e.type) for e in result.entities if e.type is EntityType.PERSON] == [
        ("Tiger Woods", EntityType.PERSON)
    ]


def test_tokenised_text_gives_the_names_its_published_form_gives(tagger: Tagger) -> None:
    """Corpora often give text with every token apart; names come out as they are written."""
    published = (
        "CAPE TOWN, South Africa (AP) \u2014 Elon Musk's SpaceX won a contract from the South "
        "African National Space Agency on Monday, and the European People's Party welcomed it. "
        "OpenAI, the maker of ChatGPT, was not involved. Exporters such as Toyota, Nintendo and "
        "Sony gained."
    )
    tokenised = (
        "CAPE TOWN , South Africa ( AP ) \u2014 Elon Musk 's SpaceX won a contract from the South "
        "African National Space Agency on Monday , and the European People 's Party welcomed it . "
        "OpenAI , the maker of ChatGPT , was not involved . Exporters such as Toyota , Nintendo "
        "and Sony gained ."
    )
    types = entity_types(tagger, "SpaceX wins launch contract", published)
    assert entity_types(tagger, "SpaceX wins launch contract", tokenised) == types
    names = {"Cape Town", "Elon Musk", "European People's Party", "OpenAI", "Nintendo"}
    assert names <= types.keys()


def test_a_hyphenated_place_is_named_whole(tagger: Tagger) -> None:
    """spaCy tagged a word of it only, and gave it that word's type: "Stoke" a club, "Burton"
    a person, "Provence" of "Aix-en-Provence" a region."""
    found = entity_types(
        tagger,
        "Storms close roads",
        "Flooding hit Stoke-on-Trent on Monday, and police in Burton-upon-Trent shut roads. "
        "Fans in Aix-en-Provence watched Stoke City, whose Lagos-based owner met Trent "
        "Alexander-Arnold.",
    )
    for place in ("Stoke-on-Trent", "Burton-upon-Trent", "Aix-en-Provence"):
        assert found[place] is EntityType.GPE
    assert found["Stoke City"] is EntityType.ORG
    assert found["Trent Alexander-Arnold"] is EntityType.PERSON
    assert not {"Stoke", "Burton", "Provence", "Lagos-based"} & found.keys()


def test_a_surname_spacy_left_out_ends_the_person_s_name(tagger: Tagger) -> None:
    found = entity_types(
        tagger,
        "Series based on Argentine comic",
        "The series is based on the 1950s comic by Héctor Germán Oesterheld and Francisco "
        "Solano López. Interior Cabinet Secretary Kipchumba Murkomen said the judgment tied "
        "his hands. Augusta Mayor Garnett Johnson said the city would help.",
    )
    for person in ("Héctor Germán Oesterheld", "Francisco Solano López", "Kipchumba Murkomen"):
        assert found[person] is EntityType.PERSON
    # A title between two names is neither's surname.
    assert found["Garnett Johnson"] is EntityType.PERSON
    assert not [name for name in found if "Mayor" in name]


def test_a_country_is_no_company_whatever_noun_goes_before_it(tagger: Tagger) -> None:
    found = entity_types(
        tagger,
        "Oil producers agree to cut output",
        "Major oil exporters such as Saudi Arabia and Russia agreed to cut output. A deal with "
        "Chile, a major copper exporter, was signed. Emirates, Dubai's state-owned airline, "
        "carried 55 million passengers.",
    )
    assert found["Saudi Arabia"] is found["Russia"] is found["Chile"] is EntityType.GPE
    assert found["Emirates"] is EntityType.ORG  # the last word of a country's name only


def test_a_company_introduced_as_one_outvotes_its_name_s_other_readings(tagger: Tagger) -> None:
    """spaCy's one ORG vote lost to the city the gazetteer knows (Toyota City) and to the
    given name that opens a person's name (Eli)."""
    found = entity_types(
        tagger,
        "Carmakers and drugmakers report",
        "The Japanese carmaker Toyota said sales in China fell, while the US drugmaker Eli "
        "Lilly raised its forecast.",
    )
    assert found["Toyota"] is found["Eli Lilly"] is EntityType.ORG


def test_a_name_after_a_seed_s_number_and_dash_is_tagged(tagger: Tagger) -> None:
    found = entity_types(
        tagger,
        "Tennis results",
        "Results of first round matches on Wednesday:\n\n"
        "1 - Pete Sampras (U.S.) beat Jimy Szymanski (Venezuela) 6-2 6-3 6-2\n\n"
        "2 - Monica Seles (U.S.) beat Nathalie Tauziat (France) 6-1 6-0",
    )
    assert found["Pete Sampras"] is found["Monica Seles"] is EntityType.PERSON


def test_a_sporting_event_is_neither_a_person_nor_an_organisation(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "Sampras into US Open final",
        "Pete Sampras reached the final of the US Open on Saturday, a week after his Davis Cup "
        "defeat. Cathy Freeman lit the flame at the Sydney Olympics. Michael Schumacher won the "
        "Italian Grand Prix for Ferrari.",
    )
    assert types["Davis Cup"] is EntityType.EVENT  # spaCy: a person
    assert types["Sydney Olympics"] is EntityType.EVENT  # spaCy: a person
    assert types["Italian Grand Prix"] is EntityType.EVENT  # spaCy: an organisation
    assert types["Pete Sampras"] is EntityType.PERSON
    assert types["Ferrari"] is EntityType.ORG


def test_a_span_spacy_cut_short_is_the_longer_name_it_tagged_elsewhere(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "Sampras into US Open final",
        "Pete Sampras reached the final of the US Open on Saturday.",
    )
    assert "US" not in types  # the headline's "US" of "US Open", spaCy's country
    assert types["US Open"] is EntityType.EVENT
    types = entity_types(
        tagger,
        "Farage says Reform UK will win",
        "Nigel Farage said Reform UK would win the most seats. Reform UK leads the polls.",
    )
    assert "UK" not in types  # spaCy's "UK" of the headline and of "Reform UK leads"
    assert types["Reform UK"] is EntityType.ORG


def test_a_span_running_on_into_a_sides_score_is_the_side(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "SOCCER - ENGLISH LEAGUE RESULTS .",
        "LONDON 1996-12-07\n"
        "Results of English league soccer matches on Saturday :\n"
        "Premier league\n"
        "Arsenal 2 Derby 2\n"
        "Chelsea 2 Everton 2\n"
        "Coventry 1 Tottenham 2\n"
        "Leicester 1 Blackburn 1\n"
        "Sheffield Wednesday 1 Aston Villa 0\n"
        "Division one\n"
        "Bolton 3 Norwich 1",
    )
    assert "Aston Villa 0" not in types  # spaCy's span
    assert types["Aston Villa"] is EntityType.ORG
    assert types["Sheffield Wednesday"] is EntityType.ORG


def test_a_scorecards_players_are_people(tagger: Tagger) -> None:
    types = entity_types(
        tagger,
        "CRICKET - ENGLAND V ZIMBABWE SCOREBOARD .",
        "BULAWAYO 1996-12-18 Scoreboard on the first day of the first test between England "
        "and Zimbabwe on Wednesday :\n"
        "Zimbabwe first innings\n"
        "G. Flower c Crawley b Gough 7\n"
        "J. Morris c Stewart b Mullally 72\n"
        "A. Stewart not out 35\n"
        "Total ( for 3 wickets ) 107\n"
        "Bowling : Gough 10-2-30-1 ( 1nb ) , Mullally 8-3-15-0",
    )
    people = {"G. Flower", "Crawley", "Gough", "J. Morris", "A. Stewart", "Mullally"}
    assert {name for name, kind in types.items() if kind is EntityType.PERSON} >= people
    assert "Stewart" not in types  # the fielder is the batsman A. Stewart

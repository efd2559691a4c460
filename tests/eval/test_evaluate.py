"""The dev set is well formed, and the evaluation counts what its docstring says it counts."""

from pathlib import Path

import pytest
import spacy
from spacy.pipeline import EntityRuler

from eval.evaluate import (
    EVAL_DIR,
    GoldArticle,
    GoldEntity,
    bare_spacy_entities,
    compare,
    compare_overall,
    load,
    tokenised,
)
from eval.sections import SECTION_OF_TOPIC, SECTIONS, section_of
from schemas.models import Entity, EntityType
from services.enrich.places import name_key
from services.enrich.topics import vocabulary

DEV_FILES = sorted(EVAL_DIR.glob("dev_*.jsonl"))


def gold(name: str, *aliases: str) -> tuple[str, GoldEntity]:
    return "ORG", GoldEntity(name=name, type=EntityType.ORG, aliases=list(aliases))


def found(name: str) -> tuple[str, Entity]:
    return "ORG", Entity(name=name, type=EntityType.ORG, mentions=1, salience=0.5)


def test_a_name_or_an_alias_matches_and_a_second_match_is_a_false_positive() -> None:
    counts, errors = compare(
        [gold("North Atlantic Treaty Organization", "NATO"), gold("Reuters")],
        [found("NATO"), found("the North Atlantic Treaty Organization"), found("Gazprom")],
        frozenset(),
    )
    assert (counts.tp, counts.fp, counts.fn) == (1, 2, 1)
    assert errors.false_negatives == ["Reuters (ORG)"]


def test_ignored_names_are_neither_right_nor_wrong() -> None:
    counts, _ = compare([gold("Reuters")], [found("Reuters"), found("Oscar")], frozenset({"oscar"}))
    assert (counts.tp, counts.fp, counts.fn) == (1, 0, 0)


def test_every_top_level_topic_has_one_section() -> None:
    top_level = {entry.code for entry in vocabulary().topics if entry.parent is None}
    assert set(SECTION_OF_TOPIC) == top_level
    assert set(SECTION_OF_TOPIC.values()) == set(SECTIONS)
    assert section_of("medtop:20000822") == "sport"  # a subtopic goes where its parent goes


@pytest.mark.parametrize("path", DEV_FILES, ids=lambda path: path.stem)
def test_dev_set_articles_are_news_length_and_labelled(path: Path) -> None:
    articles = load(path)
    assert len(articles) >= 20
    for article in articles:
        assert 50 <= len(article.body.split()) <= 600, article.id  # a wire's brief to a feature
        assert article.entities, article.id
        assert all(topic in SECTION_OF_TOPIC for topic in article.topics), article.id
        places = [e for e in article.entities if e.type in {EntityType.GPE, EntityType.LOC}]
        assert all(e.country_code is None or len(e.country_code) == 2 for e in places)


def test_dev_set_spans_the_sections_and_ids_are_unique() -> None:
    articles: list[GoldArticle] = [article for path in DEV_FILES for article in load(path)]
    assert len(articles) >= 40
    assert len({article.id for article in articles}) == len(articles)
    assert {article.section for article in articles} == set(SECTIONS)


def test_tokenised_text_keeps_its_lines_and_sets_every_token_apart() -> None:
    text = "AUGUSTA, Ga. (AP) \u2014 Musk's plan.\n\nHeroes' Square"
    assert tokenised(text, spacy.blank("en").tokenizer) == (
        "AUGUSTA , Ga. ( AP ) \u2014 Musk 's plan .\n\nHeroes ' Square"
    )


def test_a_tokenised_dev_file_keeps_its_labels() -> None:
    path = DEV_FILES[0]
    for plain, apart in zip(load(path), load(path, tokenise=True), strict=True):
        assert apart.entities == plain.entities
        assert apart.body.split() != plain.body.split()
        assert apart.body.replace(" ", "") == plain.body.replace(" ", "")


def test_the_bare_spacy_baseline_counts_each_distinct_span_of_a_scored_type_once() -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    assert isinstance(ruler, EntityRuler)
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": "Recep Tayyip Erdogan"},
            {"label": "PERSON", "pattern": "Erdogan"},
            {"label": "GPE", "pattern": "Ankara"},
            {"label": "DATE", "pattern": "Monday"},
        ]
    )
    article = GoldArticle(
        id="a", desk="world", section="politics", topics=["medtop:11000000"],
        title="Recep Tayyip Erdogan in Ankara",
        body="Erdogan spoke on Monday. Erdogan left Ankara.",
        entities=[GoldEntity(name="Recep Tayyip Erdogan", type=EntityType.PERSON)],
    )  # fmt: skip
    [entities] = bare_spacy_entities(nlp, [article])
    assert [(e.name, e.type) for e in entities] == [
        ("Recep Tayyip Erdogan", EntityType.PERSON),
        ("Ankara", EntityType.GPE),
        ("Erdogan", EntityType.PERSON),
    ]
    counts, _ = compare_overall(article, entities)
    assert (counts.tp, counts.fp, counts.fn) == (1, 2, 0)  # unresolved "Erdogan" is a second hit


def test_an_entity_found_under_both_its_name_and_an_alias_is_taken_by_its_name() -> None:
    # In a set the order changed with Python's hash seed, and so did the country-code figure.
    georgia = GoldEntity(name="Georgia", type=EntityType.GPE, aliases=["Sakartvelo", "Georgia"])
    assert georgia.keys == (name_key("Georgia"), name_key("Sakartvelo"))

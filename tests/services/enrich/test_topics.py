"""IPTC topics from the lexicon: parents, order, threshold, and the vocabulary itself."""

import pytest

from schemas.models import EntityType
from services.enrich.topics import (
    FALLBACK_THRESHOLD,
    THRESHOLD,
    load_vocabulary,
    score_topics,
    vocabulary,
    word_forms,
)

SMALL = """
version: test
topics:
  - code: medtop:15000000
    label: sport
    terms: {sport: 1, match: 0.5}
  - code: medtop:20000822
    label: competition discipline
    parent: medtop:15000000
    terms: {football: 2, goalkeeper: 2}
  - code: medtop:04000000
    label: economy, business and finance
    terms: {economy: 2, inflation: 2}
  - code: medtop:02000000
    label: crime, law and justice
    entities: {LAW: 2}
    terms: {court: 1}
"""


def test_second_level_topic_brings_its_parent_ranked_above_it() -> None:
    vocab = load_vocabulary(SMALL)
    topics = score_topics(
        "Football: goalkeeper saves the day",
        "The goalkeeper kept a clean sheet as football fans cheered. Football is back.",
        vocab=vocab,
    )
    assert [topic.code for topic in topics] == ["medtop:15000000", "medtop:20000822"]
    assert topics[0].score >= topics[1].score


def test_topics_are_ordered_by_score_and_cut_at_the_threshold() -> None:
    vocab = load_vocabulary(SMALL)
    topics = score_topics(
        "Inflation hits the economy",
        "Inflation rose again and the economy slowed, economists said. "
        "The weekend football match was postponed.",
        vocab=vocab,
    )
    assert topics[0].code == "medtop:04000000"
    assert [topic.score for topic in topics] == sorted(
        (topic.score for topic in topics), reverse=True
    )
    assert all(THRESHOLD <= topic.score <= 1.0 for topic in topics)
    assert "medtop:20000822" not in {topic.code for topic in topics}  # one passing mention


def test_entity_types_add_evidence() -> None:
    vocab = load_vocabulary(SMALL)
    assert score_topics("A ruling", "The court ruled.", vocab=vocab) == []
    topics = score_topics("A ruling", "The court ruled.", {EntityType.LAW: 3}, vocab=vocab)
    assert [topic.code for topic in topics] == ["medtop:02000000"]


def test_no_text_no_topics() -> None:
    assert score_topics("", "") == []


def test_shipped_vocabulary_has_the_17_top_level_topics() -> None:
    vocab = vocabulary()
    top = {entry.code for entry in vocab.topics if entry.parent is None}
    assert top == {f"medtop:{number:02d}000000" for number in range(1, 18)}
    assert all(entry.terms for entry in vocab.topics)


def test_war_and_diplomacy_text_gets_conflict_and_politics() -> None:
    topics = score_topics(
        "Ceasefire talks stall as troops mass on the border",
        "Negotiators from both governments failed to agree a ceasefire on Tuesday, "
        "as the army moved more troops and artillery to the front line. The foreign "
        "minister said diplomatic talks would resume next week.",
    )
    codes = {topic.code for topic in topics}
    assert {"medtop:16000000", "medtop:11000000"} <= codes


def test_vocabulary_with_a_bad_parent_is_rejected() -> None:
    bad = """
version: bad
topics:
  - code: medtop:20000822
    label: competition discipline
    parent: medtop:15000000
    terms: {football: 2}
"""
    with pytest.raises(ValueError, match="not a top-level topic"):
        load_vocabulary(bad)


def test_word_forms_cover_regular_inflections_of_the_last_word() -> None:
    assert {"troop", "troops"} <= word_forms("troop")
    assert {"casualty", "casualties"} <= word_forms("casualty")
    assert {"invade", "invaded", "invading"} <= word_forms("invade")
    assert {"air strike", "air strikes"} <= word_forms("air strike")


def test_topics_mentioned_in_passing_are_left_out() -> None:
    vocab = load_vocabulary(SMALL)
    topics = score_topics(
        "Inflation and the economy",
        "Inflation rose and the economy slowed. Inflation worried the economy minister, who "
        "said the economy and inflation would improve. The court was closed for the holiday.",
        vocab=vocab,
    )
    assert [topic.code for topic in topics] == ["medtop:04000000"]


def test_an_article_below_the_threshold_still_gets_its_best_top_level_topic() -> None:
    vocab = load_vocabulary(SMALL)
    long_body = "Words about nothing in particular. " * 150
    (topic,) = score_topics("Notes", f"{long_body} The football match.", vocab=vocab)
    assert topic.code == "medtop:15000000"
    assert FALLBACK_THRESHOLD <= topic.score < THRESHOLD


def test_a_phrase_takes_its_words_from_the_topics_they_would_score_alone() -> None:
    vocab = load_vocabulary(
        SMALL.replace("terms: {sport: 1, match: 0.5}", "terms: {sport: 1, stadium: 2}")
        + """
  - code: medtop:01000000
    label: arts, culture, entertainment and media
    terms: {stadium tour: 2, band: 1}
"""
    )
    topics = score_topics(
        "Band announces stadium tour", "The band's stadium tour opens in May.", vocab=vocab
    )
    assert [topic.code for topic in topics] == ["medtop:01000000"]
    (sport,) = score_topics("Stadium reopens", "The stadium reopens in May.", vocab=vocab)
    assert sport.code == "medtop:15000000"

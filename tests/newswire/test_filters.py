"""What `newswire tail`'s filters let through, on articles made here (no broker)."""

from datetime import UTC, datetime

import pytest

from newswire.filters import ArticleFilter, language, topic_code
from schemas import (
    EnrichedArticle,
    Enricher,
    Entity,
    EntityType,
    RawArticle,
    Source,
    SourceKind,
    Topic,
)

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
RAW = RawArticle(
    id="0" * 32,
    title="Merkel and Macron agree on climate plan",
    language="en-GB",
    fetched_at=NOW,
    content_hash="0" * 64,
    source=Source(kind=SourceKind.RSS, site="news.test"),
)
ENRICHED = EnrichedArticle(
    **RAW.model_dump(),
    entities=[
        Entity(name="Angela Merkel", type=EntityType.PERSON, mentions=2, salience=0.9),
        Entity(name="Paris", type=EntityType.GPE, mentions=1, salience=0.5, country_code="FR"),
    ],
    topics=[
        Topic(code="medtop:20000418", label="climate change", score=0.6),
        Topic(code="medtop:06000000", label="environment", score=0.6),
    ],
    enriched_at=NOW,
    enricher=Enricher(version="test", models={}),
)


def test_no_filter_shows_every_record_even_one_that_is_no_article() -> None:
    everything = ArticleFilter.of()
    assert not everything.active
    assert everything.accepts(ENRICHED) and everything.accepts(RAW) and everything.accepts(None)


@pytest.mark.parametrize(
    ("wanted", "shown"),
    [
        (ArticleFilter.of(entities=["angela merkel"]), True),
        (ArticleFilter.of(entities=["Merkel"]), True),  # whole words of the name
        (ArticleFilter.of(entities=["Merk"]), False),
        (ArticleFilter.of(entities=["Macron", "Paris"]), True),  # any of several
        (ArticleFilter.of(topic_codes=["medtop:06000000"]), True),
        (ArticleFilter.of(topic_codes=["06000000"]), True),
        (ArticleFilter.of(topic_codes=["medtop:11000000"]), False),
        (ArticleFilter.of(source_kinds=["rss"]), True),
        (ArticleFilter.of(source_kinds=["seed", "atom"]), False),
        (ArticleFilter.of(languages=["EN"]), True),  # en-GB is English
        (ArticleFilter.of(languages=["en-US"]), True),  # so is en-US
        (ArticleFilter.of(languages=["de"]), False),
        (ArticleFilter.of(entities=["Paris"], languages=["en"], source_kinds=["rss"]), True),
        (ArticleFilter.of(entities=["Paris"], languages=["de"]), False),  # all must match
    ],
)
def test_filters_on_an_enriched_article(wanted: ArticleFilter, shown: bool) -> None:
    assert wanted.accepts(ENRICHED) is shown


def test_an_active_filter_hides_records_that_are_not_articles() -> None:
    assert not ArticleFilter.of(languages=["en"]).accepts(None)


def test_a_raw_article_has_no_entities_to_match_but_a_source_and_language() -> None:
    assert not ArticleFilter.of(entities=["Angela Merkel"]).accepts(RAW)
    assert ArticleFilter.of(source_kinds=["rss"], languages=["en"]).accepts(RAW)


def test_a_topic_code_is_checked() -> None:
    assert topic_code(" 16000000 ") == "medtop:16000000"
    with pytest.raises(ValueError, match="not an IPTC Media Topic code"):
        topic_code("politics")


def test_a_language_is_checked() -> None:
    assert language("iw") == "he"  # withdrawn, and still written
    for typed in ("english", "", "xx"):
        with pytest.raises(ValueError, match="not an ISO 639-1 language code"):
            language(typed)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("erdogan", "Recep Tayyip Erdoğan"),  # typed without the accent
        ("Erdoğan", "Recep Tayyip Erdogan"),  # or with it, on a name written without
        ("m\u00e9lenchon", "Jean-Luc Me\u0301lenchon"),  # composed, against decomposed
        ("istanbul", "İstanbul"),
        ("strasse", "Straße"),
    ],
)
def test_names_match_whatever_their_accents_and_composition(typed: str, name: str) -> None:
    article = ENRICHED.model_copy(
        update={"entities": [Entity(name=name, type=EntityType.GPE, mentions=1, salience=0.5)]}
    )
    assert ArticleFilter.of(entities=[typed]).accepts(article)

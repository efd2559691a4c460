"""Keywords: YAKE output, trimmed of near-repeats."""

from pathlib import Path
from pydoc_data.topics import topics as pydoc_topics

import pytest
import yake

from services.enrich.keywords import (
    LEAD_CHARS,
    MAX_WORDS,
    TOP,
    dedupe,
    extract_keywords,
    yake_keywords,
)

SEED = Path(__file__).resolve().parents[3] / "seeds" / "000_47538fdd1a9e32f6.txt"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (SEED.read_text(encoding="utf-8"), "en"),
        # Code, markup and punctuation: the tokens YAKE tags as numbers or mixed, and discards.
        (pydoc_topics["assignment"][:4000], "en"),
        (
            "US and U.S. officials said NATO's 2024 budget rose 3.5% to $1,000.5bn. NATO, NATO "
            "and the Bank of England: very very big banks, banks' rates. IT co-op e-mail #tag.",
            "en",
        ),
        (
            "Le Premier ministre a présenté mardi à Paris la réforme des retraites, que les "
            "syndicats jugent injuste. Une grève nationale est prévue jeudi à Paris et à Lyon.",
            "fr",
        ),
        ("Ein kurzer Text über Berlin. Berlin ist groß.", "de"),
        ("one", "xx"),
        ("!!! ... ???", "en"),
    ],
)
def test_yake_keywords_are_the_packages_to_the_letter(text: str, language: str) -> None:
    extractor = yake.KeywordExtractor(lan=language, n=MAX_WORDS, top=TOP * 3)
    expected = [keyword for keyword, _ in extractor.extract_keywords(text)]
    assert yake_keywords(text, language, top=TOP * 3) == expected


def test_dedupe_drops_keywords_mostly_made_of_a_better_ones_words() -> None:
    assert dedupe(
        [
            "Recep Tayyip Erdogan",
            "President Recep Tayyip",
            "Recep Tayyip",
            "Turkish President",
            "Belarusian President",
            "President",
            "war",
        ]
    ) == ["Recep Tayyip Erdogan", "Turkish President", "Belarusian President", "war"]


def test_english_article_gets_at_most_top_keywords() -> None:
    keywords = extract_keywords(
        "Central bank raises interest rates to fight inflation",
        "The central bank raised its main interest rate by half a point on Thursday, "
        "its fourth increase this year, saying inflation remained far above target. "
        "Economists had expected the move after consumer prices jumped in the spring.",
        "en",
    )
    assert keywords is not None
    assert 0 < len(keywords) <= TOP
    assert len({keyword.casefold() for keyword in keywords}) == len(keywords)
    assert any("interest" in keyword.casefold() for keyword in keywords)


def test_a_title_case_headline_keeps_the_capitals_of_the_names_the_body_writes() -> None:
    title = "NATO Leaders Clash With Milei Over Budget In Brussels"
    body = (
        "NATO leaders met in Brussels on Monday. Javier Milei said the budget was too high, and "
        "the leaders clashed with him over it. Milei left Brussels early."
    )
    keywords = extract_keywords(title, body, "en")
    assert keywords is not None
    words = {word for keyword in keywords for word in keyword.split()}
    assert {"NATO", "Milei", "Brussels"} <= words  # not "nato", "milei", "brussels"
    assert {"leaders", "budget"} & words and not {"Leaders", "Budget"} & words


def test_no_keyword_cuts_one_of_the_article_s_names() -> None:
    title = "Sudan army retakes presidential palace"
    body = (
        "Sudan's army said on Friday it had retaken the presidential palace in Khartoum. Army "
        "spokesman Nabil Abdallah said the paramilitary Rapid Support Forces had fled, and Prime "
        "Minister Kamil Idris's office said talks with Egypt's Abdel Fattah al-Sisi would go on."
    )
    names = ["Nabil Abdallah", "Rapid Support Forces", "Kamil Idris", "Abdel Fattah al-Sisi"]
    cut = {"Prime Minister Kamil", "Egypt Abdel Fattah"}
    unfiltered = extract_keywords(title, body, "en")
    keywords = extract_keywords(title, body, "en", names)
    assert unfiltered is not None and keywords is not None
    assert cut <= set(unfiltered)  # what YAKE's runs of three words make of the names
    assert not cut & set(keywords)
    assert {"Abdel Fattah al-Sisi", "spokesman Nabil Abdallah"} <= set(keywords)


def test_other_languages_and_empty_text() -> None:
    assert extract_keywords(
        "Réforme des retraites",
        "Le gouvernement a présenté mardi sa réforme des retraites aux syndicats.",
        "fr",
    )
    assert extract_keywords("", "", None) == []


def test_text_without_spaces_between_words_is_not_read_for_keywords() -> None:
    chinese = (
        "美国总统周二宣布了一项新的经济政策\uff0c以促进国内就业增长。该政策包括减税和基础设施投资。"
    )
    assert extract_keywords("美国总统宣布新的经济政策", chinese, "zh") is None
    assert extract_keywords("x" * 50_000, "y" * 100_000, "en") is None


def test_the_lead_is_cut_between_words_never_inside_one() -> None:
    lead = "The agency said. " * 34  # 578 characters: the limit falls inside the next word
    body = lead + "Federal Drug Administration officials declined to comment."
    assert len(lead) < LEAD_CHARS < len(lead) + len("Federal Drug Administration")
    title = "Regulators weigh a new rule"
    keywords = extract_keywords(title, body, "en")
    assert keywords is not None
    words = set(f"{title} {body}".replace(".", " ").split())
    assert not [word for keyword in keywords for word in keyword.split() if word not in words]

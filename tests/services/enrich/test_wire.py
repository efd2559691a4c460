"""What wire copy writes around a story: a slug before the headline, a dateline before the lead,
a seed's number before a line of results."""

import pytest

from services.enrich.wire import headline_apart, recase_dateline, without_line_numbers


@pytest.mark.parametrize(
    ("title", "apart"),
    [
        ("SOCCER - ARSENAL HOLD CHELSEA", "SOCCER \n ARSENAL HOLD CHELSEA"),
        ("TENNIS -- SINNER INTO FINAL", "TENNIS \n\n SINNER INTO FINAL"),
        ("UPDATE 2-Oil rises as OPEC cuts output", "UPDATE 2\nOil rises as OPEC cuts output"),
        ("Oil rises \u2014 analysts", "Oil rises \n analysts"),
        ("COCA-COLA PROFITS RISE", "COCA-COLA PROFITS RISE"),
        ("REFILE-Oil rises", "REFILE\nOil rises"),
        ("GLOBAL MARKETS-Chip stocks slide", "GLOBAL MARKETS\nChip stocks slide"),
        ("Coca-Cola profits rise", "Coca-Cola profits rise"),
        ("A 2-1 win for Wrexham", "A 2-1 win for Wrexham"),
        ("WREXHAM 2-1 MIDDLESBROUGH", "WREXHAM 2-1 MIDDLESBROUGH"),
    ],
)
def test_a_slug_or_a_spaced_dash_is_set_apart_and_a_hyphenated_word_is_not(
    title: str, apart: str
) -> None:
    assert headline_apart(title) == apart


@pytest.mark.parametrize(
    ("body", "recased"),
    [
        ("LONDON, March 4 (Reuters) - Shares rose.", "London, March 4 (Reuters) - Shares rose."),
        (
            "AUGUSTA, Ga. (AP) \u2014 Tiger Woods withdrew.",
            "Augusta, Ga. (AP) \u2014 Tiger Woods withdrew.",
        ),
        (
            "NEW DELHI/MUMBAI, Jan 5 (Reuters) -- Rates held.",
            "New Delhi/Mumbai, Jan 5 (Reuters) -- Rates held.",
        ),
        ("NAIROBI, Kenya \u2014 Talks began.", "Nairobi, Kenya \u2014 Talks began."),
        ("ST. LOUIS (AP) - Rain fell.", "St. Louis (AP) - Rain fell."),
        ("TOKYO 2025-06-03\n\nShares fell.", "Tokyo 2025-06-03\n\nShares fell."),
    ],
)
def test_a_dateline_s_place_is_written_as_a_name(body: str, recased: str) -> None:
    assert recase_dateline(body) == recased


@pytest.mark.parametrize(
    "body",
    [
        "NATO said on Monday that it would meet.",
        "US stocks fell - and bonds rose.",
        "US - China talks resumed.",
        "I - for one - disagree.",
        "Shares in LONDON - listed firms fell.",
        "TOKYO 2025-06-03 was a busy day.",
    ],
)
def test_a_lead_without_a_dateline_is_left_as_written(body: str) -> None:
    assert recase_dateline(body) == body


def test_a_seed_s_number_and_dash_opening_a_line_of_results_become_spaces() -> None:
    body = (
        "Results on Wednesday:\n"
        "1 - Pete Sampras (U.S.) beat Jimy Szymanski (Venezuela) 6-2 6-3 6-2\n"
        "Goran Ivanisevic (Croatia) beat Andrei Olhovskiy (Russia) 6-4 6-3\n"
        "Arsenal 1 - 0 Chelsea\n"
        "2 - 1 was the score."
    )
    cleaned = without_line_numbers(body)
    assert (
        cleaned.splitlines()[1]
        == "    Pete Sampras (U.S.) beat Jimy Szymanski (Venezuela) 6-2 6-3 6-2"
    )
    assert cleaned.splitlines()[2:] == body.splitlines()[2:]
    assert len(cleaned) == len(body)

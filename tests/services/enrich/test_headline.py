"""Title-case headlines written as sentences before tagging."""

import pytest

from services.enrich.headline import sentence_case

BODY = (
    "The Senate passed a stopgap spending bill on Friday, hours before a shutdown deadline. "
    "Arsenal beat Manchester City 2-1 to go top. Chuck Schumer said the bill bought time."
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Senate Passes Stopgap Spending Bill Hours Before Shutdown Deadline",
            "Senate passes stopgap spending bill hours before shutdown deadline",
        ),
        ("Arsenal Beat Manchester City to Go Top", "Arsenal beat Manchester City to go top"),
        ("Schumer's Bill Buys Time", "Schumer's bill buys time"),
        # Sentence case, mostly names: what is not a name is in lower case already.
        (
            "David Tennant returns to Royal Shakespeare Company",
            "David Tennant returns to Royal Shakespeare Company",
        ),
        ("Senate passes bill", "Senate passes bill"),
        ("ARSENAL BEAT MANCHESTER CITY", "Arsenal beat Manchester City"),
        ("SCHUMER'S BILL", "Schumer's bill"),
        ("", ""),
    ],
)
def test_sentence_case(title: str, expected: str) -> None:
    body = BODY + " The company said David Tennant will play Prospero at the Royal Shakespeare."
    assert sentence_case(title, body) == expected


def test_a_headline_of_names_only_is_left_as_written() -> None:
    assert sentence_case("Arsenal Manchester City", BODY) == "Arsenal Manchester City"


def test_a_longer_word_in_lower_case_says_sentence_case_whatever_the_capitals() -> None:
    # Neither "Smith" nor "Obama" is in the body, so neither is known for a name.
    title = "NORAM Smith meets Obama in Berlin"
    assert sentence_case(title, "The two men met in Berlin on Monday.") == title


def test_function_words_in_lower_case_do_not_hide_title_case() -> None:
    body = "The chancellor faced anger from Labour MPs over cuts to welfare on Tuesday."
    assert (
        sentence_case("Chancellor Faces Backlash from Labour MPs over Welfare Cuts", body)
        == "chancellor faces backlash from Labour MPs over welfare cuts"
    )


def test_a_hyphenated_word_keeps_the_capital_of_the_name_it_holds() -> None:
    body = (
        "The lawmakers approved a rescue for transit in the Chicago area, and a Lagos-based broker "
        "bought a stake in an anti-graft fund. Coca-Cola raised prices."
    )
    assert (
        sentence_case("Lawmakers Approve Rescue for Chicago-Area Transit", body)
        == "lawmakers approve rescue for Chicago-area transit"
    )
    assert (
        sentence_case("Lagos-Based Broker Buys Stake in Anti-Graft Fund as Coca-Cola Rises", body)
        == "Lagos-based broker buys stake in anti-graft fund as Coca-Cola rises"
    )

import pytest

from services.enrich.spacing import attach_punctuation


@pytest.mark.parametrize(
    ("tokenised", "published"),
    [
        ("Elon Musk 's SpaceX", "Elon Musk's SpaceX"),
        ("the European People \u2019s Party", "the European People\u2019s Party"),
        ("Heroes ' Square", "Heroes' Square"),
        ("Ministry of Housing , Communities", "Ministry of Housing, Communities"),
        ("Warner Bros . Discovery", "Warner Bros. Discovery"),
        ("Liverpool , who are second , host Everton .", "Liverpool, who are second, host Everton."),
        (
            "OpenAI , the maker of ChatGPT , has raised more .",
            "OpenAI, the maker of ChatGPT, has raised more.",
        ),
        (
            "Paddy Lillis , the union 's general secretary",
            "Paddy Lillis, the union's general secretary",
        ),
        ("6 . Newcastle 24 12 4 8 40 31 40", "6. Newcastle 24 12 4 8 40 31 40"),
        (
            "CAPE TOWN , South Africa ( AP ) \u2014 Astronomers said .",
            "CAPE TOWN, South Africa (AP) \u2014 Astronomers said.",
        ),
        ("Results :\nArsenal 2 Chelsea 1", "Results:\nArsenal 2 Chelsea 1"),
        ("Why now ? Nobody knows ...", "Why now? Nobody knows..."),
        ("the [ 1 ] note ; then", "the [1] note; then"),
    ],
)
def test_punctuation_set_apart_is_written_as_published(tokenised: str, published: str) -> None:
    assert attach_punctuation(tokenised) == published


@pytest.mark.parametrize(
    "published",
    [
        "Elon Musk's plan, as published (in full).",
        "SOCCER - ARSENAL HOLD CHELSEA",  # a spaced dash is no punctuation closing a word
        "He moved to .NET and sold 3 .5 shares",  # a full stop opening a word stays apart
        "She said 'so' and left.",  # a quoted word starting with s is no possessive
        "Arsenal 2 Chelsea 1\n. Fulham",  # nothing moves across a line break
        'He said: " we won ".',  # quotes are not told opening from closing; they stay
    ],
)
def test_published_text_is_left_as_it_is(published: str) -> None:
    assert attach_punctuation(published) == published

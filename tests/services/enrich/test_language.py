"""Language detection and the English check."""

from services.enrich.language import detect_language, is_english


def test_french_and_english_are_told_apart() -> None:
    french = (
        "Le président de la République a annoncé mardi une réforme des retraites, "
        "contestée par les syndicats qui appellent à la grève dans tout le pays."
    )
    english = (
        "The president announced a pension reform on Tuesday, which unions oppose; "
        "they have called for a nationwide strike next week."
    )
    assert detect_language(french) == "fr"
    assert detect_language(english) == "en"


def test_a_short_text_is_not_split_with_its_language_s_kin() -> None:
    # Nigerian Pidgin, Venetian and others without a two-letter code had taken a share of the
    # probability, and these came out as unknown.
    english = (
        "Boris Johnson visits Washington\nBritish Prime Minister Boris Johnson met President "
        "Joe Biden at the White House in Washington."
    )
    assert detect_language(english) == "en"
    assert detect_language("Tesla built a factory in Berlin.") == "en"
    assert detect_language("Sciopero dei treni venerdì") == "it"


def test_no_letters_or_too_little_text_gives_none() -> None:
    assert detect_language("") is None
    assert detect_language("12345 \x00\x01 !!!") is None
    assert detect_language("Hello world") is None


def test_is_english_accepts_regional_tags_and_unknown() -> None:
    assert is_english("en")
    assert is_english("en-GB")
    assert is_english(None)
    assert not is_english("fr")


def test_a_declared_language_stands_unless_the_text_is_beyond_doubt_in_another() -> None:
    # English, but a character model reads its names as Portuguese and French.
    lula = "Lula visits São Paulo\nBrazilian President Luiz Inácio Lula da Silva visited São Paulo."
    hollande = (
        "François Hollande visits Marseille\nFormer French president François Hollande "
        "visited Marseille on Tuesday and met José Bové."
    )
    assert (detect_language(lula), detect_language(hollande)) == ("pt", "fr")
    assert (detect_language(lula, "en-US"), detect_language(hollande, "en")) == ("en", "en")
    # A channel that declares one language for all its items: an item in another is told.
    english = "Apple unveils new iPhone\nApple on Tuesday unveiled a new iPhone with a faster chip."
    assert detect_language(english, "fr") == "en"
    german = (
        "Die Bundesregierung hat am Dienstag ein neues Gesetz zur Rente beschlossen, das die "
        "Opposition scharf kritisiert."
    )
    assert detect_language(german, "en") == "de"
    # A tag that names no ISO 639-1 language is no declaration.
    assert detect_language(lula, "Portugiesisch") == "pt"
    assert detect_language("12345", "de-AT") == "de"

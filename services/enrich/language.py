"""Which language an article is written in: py3langid on a sample of its text, ISO 639-1."""

from __future__ import annotations

import functools

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from schemas import language_code

SAMPLE_CHARS = 1500
MIN_CONFIDENCE = 0.5
# What it takes for the text to overrule the language declared for it. A feed declares one for
# its whole channel, and an item in another language is told by its text; but a short English
# text full of foreign names ("Lula da Silva visited São Paulo") reads as Portuguese at 0.67 to
# a character model, while an English paragraph reads as English at above 0.998.
OVERRULE_CONFIDENCE = 0.99
ENGLISH = "en"


@functools.cache
def identifier() -> LanguageIdentifier:
    """py3langid's model (about 70 MB in memory), loaded once per process, choosing among the
    languages that have an ISO 639-1 code, the only ones a record can name."""
    # Normalised probabilities make "too short to tell" visible as a low confidence.
    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # The model also knows languages with only an ISO 639-3 code, many of them close kin of a
    # major one (Nigerian Pidgin of English, Extremaduran of Spanish, Venetian of Italian):
    # they took a share of a short text's probability, and a plainly English two-sentence
    # article fell under `MIN_CONFIDENCE`.
    model.set_languages([language for language in model.nb_classes if len(language) == 2])
    return model


def detect_language(text: str, declared: str | None = None) -> str | None:
    """The ISO 639-1 code of the text's language: the one `declared` for it (by its feed or its
    producer) unless the text is beyond doubt in another; without a declared one, the text's
    when fairly sure; else None.

    The first `SAMPLE_CHARS` characters are enough for a confident answer and keep the cost
    flat; a headline alone is usually too short, and gets None rather than a guess.
    """
    stated = language_code(declared)
    sample = text[:SAMPLE_CHARS]
    if not any(char.isalpha() for char in sample):
        return stated
    language, probability = identifier().classify(sample)
    needed = MIN_CONFIDENCE if stated is None else OVERRULE_CONFIDENCE
    return str(language) if probability >= needed else stated


def is_english(language: str | None) -> bool:
    """Whether a language tag ("en", "en-GB", or None for unknown) may be English."""
    return language is None or language.split("-")[0].casefold() == ENGLISH

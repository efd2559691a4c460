"""Keywords: YAKE on the headline and the lead, trimmed of near-repeats."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import yake

TOP = 10
MAX_WORDS = 3
LEAD_CHARS = 1000
# YAKE's cost grows with its input (about 15 ms per 1,000 characters here), and the headline and
# lead carry most of what an article is about, so the rest of the body is left out.
_CANDIDATES = TOP * 3
_TITLE_CASE_SHARE = 0.7
_MAX_SHARED_WORDS = 0.5


@functools.cache
def _extractor(language: str) -> yake.KeywordExtractor:
    # YAKE picks its stop words by language and falls back to a language-neutral list.
    return yake.KeywordExtractor(lan=language, n=MAX_WORDS, top=_CANDIDATES)


def extract_keywords(title: str, body: str, language: str | None) -> list[str]:
    """Up to `TOP` keywords, best first, none mostly repeating the words of a better one."""
    text = f"{_sentence_case(title)}.\n\n{body[:LEAD_CHARS]}"
    if not any(char.isalpha() for char in text):
        return []
    candidates = _extractor((language or "en").split("-")[0].casefold())
    return dedupe(str(keyword) for keyword, _ in candidates.extract_keywords(text))[:TOP]


def dedupe(keywords: Iterable[str]) -> list[str]:
    """Keeps each keyword unless more than half its words are in one kept before it."""
    kept: list[str] = []
    kept_words: list[set[str]] = []
    for keyword in keywords:
        words = set(keyword.casefold().split())
        if words and all(
            len(words & other) / len(words) <= _MAX_SHARED_WORDS for other in kept_words
        ):
            kept.append(keyword)
            kept_words.append(words)
    return kept


def _sentence_case(title: str) -> str:
    """A Title Case Headline in lower case, so YAKE does not take every word for a name."""
    words = [word for word in title.split() if len(word) > 3 and word[:1].isalpha()]
    capitalised = sum(word[:1].isupper() for word in words)
    if words and capitalised / len(words) >= _TITLE_CASE_SHARE:
        return title.lower()
    return title

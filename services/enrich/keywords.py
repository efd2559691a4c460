"""Keywords: YAKE on the headline and the lead, trimmed of near-repeats."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import yake

TOP = 10
MAX_WORDS = 3
# YAKE's cost grows with its input (about 13 ms for a headline and 600 characters here, a quarter
# of the time per article), and the headline and lead carry most of what an article is about,
# so the rest of the body is left out.
TITLE_CHARS = 300
LEAD_CHARS = 600
# YAKE splits words on spaces: in Chinese or Thai it returns whole clauses, and a hostile
# space-free input returns itself. Text whose "words" are this long on average gets no
# keywords, and a keyword longer than MAX_KEYWORD_CHARS is dropped rather than published.
MAX_MEAN_WORD_CHARS = 15
MAX_KEYWORD_CHARS = 60
_CANDIDATES = TOP * 3
_TITLE_CASE_SHARE = 0.7
_MAX_SHARED_WORDS = 0.5


@functools.lru_cache(maxsize=32)
def _extractor(language: str) -> yake.KeywordExtractor:
    # YAKE picks its stop words by language and falls back to a language-neutral list.
    return yake.KeywordExtractor(lan=language, n=MAX_WORDS, top=_CANDIDATES)


def extract_keywords(title: str, body: str, language: str | None) -> list[str]:
    """Up to `TOP` keywords, best first, none mostly repeating the words of a better one."""
    text = f"{_sentence_case(title[:TITLE_CHARS])}.\n\n{body[:LEAD_CHARS]}"
    words = text.split()
    spaced = bool(words) and len(text) / len(words) <= MAX_MEAN_WORD_CHARS
    if not spaced or not any(char.isalpha() for char in text):
        return []
    # YAKE reads only the first two letters of a language tag ("en-GB", "eng").
    extractor = _extractor((language or "en")[:2].casefold())
    candidates = (str(keyword) for keyword, _ in extractor.extract_keywords(text))
    return dedupe(keyword for keyword in candidates if len(keyword) <= MAX_KEYWORD_CHARS)[:TOP]


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

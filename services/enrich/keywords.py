"""Keywords: YAKE on the headline and the lead, trimmed of near-repeats and of name fragments.

The scores and the choice of keywords are those of the pinned `yake` package (0.7.3), computed
here to the same bits and the same order: the package builds an object per word and per
candidate, a networkx graph and numpy medians of a handful of numbers, and spent about 15 ms on
a headline and 600 characters, a third of the time per article, where plain dicts take 3 ms.
What is language data rather than arithmetic still comes from the package: its stop word lists,
its sentence and word splitting (segtok) and its word tags. `tests/services/enrich/
test_keywords.py` checks that both give the same keywords.

YAKE in short: each word (lower case, a final "s" dropped) is scored from how early, how often,
in how many sentences and how often capitalised it appears, and how varied its neighbours are
(`_Term.score`, lower is better); each run of one to `MAX_WORDS` words within a sentence that
neither starts nor ends with a stop word is a candidate, scored from its words' scores and how
often the run itself appears (`_Candidate.score`). The best candidates are kept unless they
look like one kept before (`_similar`). Then, past YAKE, a keyword that begins or ends inside
one of the article's names is dropped (`_cuts_a_name`): "Army spokesman Nabil", cut from
"Nabil Abdallah", names no one.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import statistics
import string
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import yake
from yake.data.utils import get_tag, pre_filter, tokenize_sentences

from newswire.text import cut_at_word
from services.enrich.headline import sentence_case
from services.enrich.places import name_key

TOP = 10
MAX_WORDS = 3
# YAKE's cost grows with its input, and the headline and lead carry most of what an article is
# about, so the rest of the body is left out.
TITLE_CHARS = 300
LEAD_CHARS = 600
# YAKE splits words on spaces: in Chinese or Thai it returns whole clauses, and a hostile
# space-free input returns itself. Text whose "words" are this long on average gets no
# keywords, and a keyword longer than MAX_KEYWORD_CHARS is dropped rather than published.
MAX_MEAN_WORD_CHARS = 15
MAX_KEYWORD_CHARS = 60
# Why such text has no keywords, as an enriched record says it.
UNSPACED = "the text is not written with spaces between words, which keyword extraction needs"
_CANDIDATES = TOP * 3
_MAX_SHARED_WORDS = 0.5

# YAKE's settings: a token of punctuation alone ends a run of words; tokens tagged as numbers
# ("d") or as a mix of letters and digits or symbols ("u") neither link words nor make
# candidates; near-duplicates are those more than `_DUPLICATE_SIMILARITY` alike.
_PUNCTUATION = frozenset(string.punctuation)
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)
_DISCARDED_TAGS = frozenset("ud")
_ACRONYM, _NAME = "a", "n"
_DUPLICATE_SIMILARITY = 0.9
# A word, with its possessive and inner dots, hyphens and apostrophes ("U.S", "al-Sisi", "O'Neill").
_WORD = re.compile(r"\w+(?:[.'\u2019-]\w+)*")


@dataclass(eq=False, slots=True)
class _Term:
    """One word of the text, with what YAKE counts of it. Compared by identity."""

    stopword: bool
    tf: float = 0.0
    tf_acronym: float = 0.0
    tf_name: float = 0.0
    sentences: dict[int, None] = field(default_factory=dict)  # ids, in order of appearance
    after: dict[_Term, float] = field(default_factory=dict)  # next word → times seen
    before: dict[_Term, float] = field(default_factory=dict)  # previous word → times seen
    h: float = 0.0  # YAKE's H, the score (lower is better), set once every word is counted

    def occurs(self, tag: str, sentence: int) -> None:
        self.tf += 1.0
        if tag == _ACRONYM:
            self.tf_acronym += 1.0
        elif tag == _NAME:
            self.tf_name += 1.0
        self.sentences[sentence] = None

    def precedes(self, following: _Term) -> None:
        self.after[following] = self.after.get(following, 0.0) + 1.0
        following.before[self] = following.before.get(self, 0.0) + 1.0

    def score(self, max_tf: float, tf_scale: float, sentence_count: int) -> float:
        """YAKE's word score: position, relatedness to neighbours, frequency, spread, case."""
        left = len(self.before) / sum(self.before.values()) if self.before else 0.0
        right = len(self.after) / sum(self.after.values()) if self.after else 0.0
        relatedness = 0.5 + left * (self.tf / max_tf) + (0.5 + right * (self.tf / max_tf))
        frequency = self.tf / tf_scale
        spread = len(self.sentences) / sentence_count
        case = max(self.tf_acronym, self.tf_name) / (1.0 + math.log(self.tf))
        position = math.log(math.log(3.0 + statistics.median(self.sentences)))
        return position * relatedness / (case + frequency / relatedness + spread / relatedness)


@dataclass(eq=False, slots=True)
class _Candidate:
    """A run of words as first written, its words, and how often it occurs."""

    text: str
    terms: tuple[_Term, ...]
    plain: bool  # some occurrence has no number or mixed token: YAKE's validity by tags
    tf: float = 0.0

    @property
    def valid(self) -> bool:
        return self.plain and not self.terms[0].stopword and not self.terms[-1].stopword

    def score(self) -> float:
        """YAKE's candidate score from its words': a stop word inside ("Bank of England") counts
        by how often it links the words either side of it."""
        total, product = 0.0, 1.0
        for position, term in enumerate(self.terms):
            if not term.stopword:
                total += term.h
                product *= term.h
                continue
            # Inside a valid candidate a stop word always has a word on either side.
            previous, following = self.terms[position - 1], self.terms[position + 1]
            linked = (previous.after.get(term, 0.0) / previous.tf) * (
                term.after.get(following, 0.0) / following.tf
            )
            product *= 1 + (1 - linked)
            total -= 1 - linked
        denominator = (total + 1) * self.tf
        # YAKE computes with numpy floats, where this division gives infinity, not an error.
        return product / denominator if denominator else math.inf


@functools.lru_cache(maxsize=32)
def _stopwords(language: str) -> frozenset[str]:
    # YAKE picks its stop words by language and falls back to a language-neutral list.
    return frozenset(yake.KeywordExtractor(lan=language).stopword_set)


def extract_keywords(
    title: str, body: str, language: str | None, names: Iterable[str] = ()
) -> list[str] | None:
    """Up to `TOP` keywords, best first, none mostly repeating the words of a better one nor
    cutting one of the article's `names` (`_cuts_a_name`); None for text not written with
    spaces between words (`UNSPACED`), which YAKE cannot read."""
    if not (title + body).strip():
        return []
    lead = cut_at_word(body, LEAD_CHARS)
    text = f"{sentence_case(cut_at_word(title, TITLE_CHARS), lead)}.\n\n{lead}"
    if len(text) / len(text.split()) > MAX_MEAN_WORD_CHARS:
        return None
    if not any(char.isalpha() for char in text):
        return []
    # YAKE reads only the first two letters of a language tag ("en-GB", "eng").
    found = yake_keywords(text, (language or "en")[:2].casefold())
    candidates = [keyword for keyword in found if len(keyword) <= MAX_KEYWORD_CHARS]
    links = _name_links(names)
    if links:
        words = _Words.of(text)
        candidates = [keyword for keyword in candidates if not _cuts_a_name(keyword, words, links)]
    return dedupe(candidates)[:TOP]


def _name_links(names: Iterable[str]) -> frozenset[tuple[str, str]]:
    """Each two words that follow each other in a name, as `name_key` gives them."""
    return frozenset(
        pair for name in names for pair in itertools.pairwise(map(name_key, name.split()))
    )


def _cuts_a_name(keyword: str, text: _Words, links: frozenset[tuple[str, str]]) -> bool:
    """Whether the keyword, where `text` first has it, begins or ends inside a name: YAKE's
    runs of three words stop anywhere, and "Army spokesman Nabil" (of "Nabil Abdallah") or
    "Tayyip Erdogan" (of "Recep Tayyip Erdogan") reads as a name cut short."""
    words = [name_key(word) for word in keyword.split()]
    for start in text.starts.get(words[0], ()):
        end = start + len(words)
        if text.keys[start:end] != words:
            continue
        before = start > 0 and text.joined[start] and (text.keys[start - 1], words[0]) in links
        after = end < len(text.keys) and text.joined[end] and (words[-1], text.keys[end]) in links
        return bool(before or after)
    return False


@dataclass(frozen=True, slots=True)
class _Words:
    """The words of a text as names are compared: each word's key (`name_key`), whether a
    single space joins it to the word before, and where each key occurs."""

    keys: list[str]
    joined: list[bool]
    starts: dict[str, list[int]]

    @classmethod
    def of(cls, text: str) -> _Words:
        keys: list[str] = []
        joined: list[bool] = []
        starts: dict[str, list[int]] = {}
        end = 0
        for match in _WORD.finditer(text):
            key = name_key(match[0])
            starts.setdefault(key, []).append(len(keys))
            # A possessive is part of its word, so "Japan's governing" is joined as YAKE's
            # "Japan governing" is.
            joined.append(bool(keys) and text[end : match.start()] == " ")
            keys.append(key)
            end = match.end()
        return cls(keys, joined, starts)


def yake_keywords(text: str, language: str, top: int = _CANDIDATES) -> list[str]:
    """The keywords `yake.KeywordExtractor(lan=language, n=MAX_WORDS, top=top)` extracts from
    the text, best first, without their scores."""
    candidates = _candidates(text, _stopwords(language))
    ranked = sorted(
        (candidate for candidate in candidates if candidate.valid), key=_Candidate.score
    )
    kept: dict[str, str] = {}  # in lower case → as first written
    for candidate in ranked:
        key = candidate.text.lower()
        if not any(_similar(key, other) for other in kept):
            kept[key] = candidate.text
            if len(kept) == top:
                break
    return list(kept.values())


def _candidates(text: str, stopwords: frozenset[str]) -> list[_Candidate]:
    """Every candidate of the text, words scored, in order of first appearance."""
    sentences = tokenize_sentences(pre_filter(text.replace("\n", " ")))
    terms: dict[str, _Term] = {}
    candidates: dict[str, _Candidate] = {}
    for sentence_id, sentence in enumerate(sentences):
        run: list[tuple[str, str, _Term]] = []  # (tag, word, term) since the last punctuation
        for position, word in enumerate(sentence):
            if not word.translate(_NO_PUNCTUATION):
                run = []
                continue
            tag = get_tag(word, position, _PUNCTUATION)
            term = _term(word, terms, stopwords)
            term.occurs(tag, sentence_id)
            if run and tag not in _DISCARDED_TAGS and run[-1][0] not in _DISCARDED_TAGS:
                run[-1][2].precedes(term)
            # The word alone, then with one and two words before it, as YAKE counts them.
            gram, plain = word, tag not in _DISCARDED_TAGS
            members: tuple[_Term, ...] = (term,)
            _count(candidates, gram, plain, members)
            for earlier_tag, earlier_word, earlier in reversed(run[1 - MAX_WORDS :]):
                gram = f"{earlier_word} {gram}"
                plain = plain and earlier_tag not in _DISCARDED_TAGS
                members = (earlier, *members)
                _count(candidates, gram, plain, members)
            run.append((tag, word, term))
    scorable = [term.tf for term in terms.values() if not term.stopword]
    if not scorable:
        return []
    # numpy's mean and standard deviation, as YAKE's, so the scores agree to the last bit.
    tfs = np.array(scorable)
    tf_scale = float(tfs.mean()) + float(tfs.std())
    max_tf = max(term.tf for term in terms.values())
    for term in terms.values():
        if not term.stopword:
            term.h = term.score(max_tf, tf_scale, len(sentences))
    return list(candidates.values())


def _term(word: str, terms: dict[str, _Term], stopwords: frozenset[str]) -> _Term:
    lower = word.lower()
    key = lower[:-1] if lower.endswith("s") and len(lower) > 3 else lower
    term = terms.get(key)
    if term is None:
        short = len(key.translate(_NO_PUNCTUATION)) < 3
        term = terms[key] = _Term(stopword=lower in stopwords or key in stopwords or short)
    return term


def _count(
    candidates: dict[str, _Candidate], text: str, plain: bool, terms: tuple[_Term, ...]
) -> None:
    key = text.lower()
    candidate = candidates.get(key)
    if candidate is None:
        candidates[key] = _Candidate(text, terms, plain, tf=1.0)
    else:
        candidate.plain = candidate.plain or plain
        candidate.tf += 1.0


def _similar(first: str, second: str) -> bool:
    """YAKE's near-duplicate test ("seqm"): a quick filter on length, first and last letters
    and word count, then length, letter, word and trigram overlap."""
    if first == second:
        return True
    shorter, longer = sorted((len(first), len(second)))
    if longer - shorter > longer * 0.6:
        return False
    if longer > 3 and (
        first[0] != second[0]
        or first[-1] != second[-1]
        or (shorter >= 3 and first[:2].lower() != second[:2].lower())
    ):
        return False
    if abs(first.count(" ") - second.count(" ")) > 1:
        return False
    return _similarity(first.lower(), second.lower(), shorter / longer) > _DUPLICATE_SIMILARITY


def _similarity(first: str, second: str, length_ratio: float) -> float:
    if length_ratio < 0.3:
        return 0.0
    letters = set(first) | set(second)
    letter_overlap = len(set(first) & set(second)) / len(letters)
    if letter_overlap < 0.2:
        return 0.0
    if max(len(first), len(second)) <= 4:
        return letter_overlap * length_ratio
    first_words, second_words = first.split(), second.split()
    if len(first_words) > 1 or len(second_words) > 1:
        word_overlap = len(set(first_words) & set(second_words)) / len(
            set(first_words) | set(second_words)
        )
        if word_overlap > 0.4:
            return word_overlap
    first_trigrams = {first[start : start + 3] for start in range(len(first) - 2)}
    second_trigrams = {second[start : start + 3] for start in range(len(second) - 2)}
    trigrams = first_trigrams | second_trigrams
    trigram_overlap = len(first_trigrams & second_trigrams) / len(trigrams) if trigrams else 0
    return min(0.3 * length_ratio + 0.2 * letter_overlap + 0.5 * trigram_overlap, 1.0)


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

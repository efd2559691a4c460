"""From NER mentions to one `Entity` per distinct thing an article names.

The steps, each a pure function of the mentions of one article:

1. clean each mention: trim quotes and brackets, drop a possessive ("Russia's") and a leading
   "the"; drop junk: types outside `EntityType` (dates, numbers, money), spans without a letter
   or an upper-case letter, single characters, spans across paragraphs or implausibly long, a
   PERSON in capitals alone (spaCy's "RL" out of "RFE/RL" is no one's name), "AI", and a span of
   several words with a lower-case one that is no name particle ("Norris wins Dutch Grand
   Prix as Verstappen": spaCy read a sentence-case headline as one name);
2. group mentions whose names compare equal (`places.name_key`: case, accents, dots aside),
   drop a group of common words only (a word spaCy took for a name where it opens a sentence,
   and the article writes in lower case elsewhere: "Party leader Ed Davey said"), and give each
   group at most one prior vote from its own words: a country, capital, large city or demonym
   the gazetteer knows, else an organisation's, event's, building's or natural place's head
   word or a person's given name (`names.looks_like`). Short capitals ("GP", "IT") get no
   place vote: ISO codes collide with everyday abbreviations, and spaCy reads those from
   context well enough;
3. join spans of the headline to the name they wrap: a headline has no lower-case words to
   stop the model, so "Carmaker Stellantis" is "Stellantis" when the body names that;
4. join partial names to the full one: a surname-only or shorter name ("Erdogan", "Tayyip
   Erdogan") to the one longer PERSON name ending in it; an ORG to the one longer ORG name it
   begins or ends ("Apple" and "Apple Inc.", "Maple Leafs" and "Toronto Maple Leafs", but not
   "Bank of Canada" and "Royal Bank of Canada" or "Senate" and "US Senate"), and an acronym to
   the ORG or place whose initials it spells ("NATO", "US"). A surname spaCy took for a place
   or a building counts too, unless it is a country or demonym ("Sawan said", "Hamilton
   finished sixth", "Le Pen"). Only when none of these is found, a PERSON's one word joins the
   one longer PERSON name it begins, as a given name ("Tadej was stronger"). A short name that
   could stand for two longer ones ("Biden": Joe or Hunter) stays on its own. The joined
   mentions vote for the full name's type: spaCy is surer of "Shigeru Ishiba" than of a bare
   "Ishiba";
5. join an article's names for one country ("Britain" and "UK") into the fullest of them;
6. decide each entity's type by majority over all its mentions plus its prior vote, which wins
   a tie, so one mislabelled mention does not make a second entity; but a name is an ORG
   once the words around one of its mentions say so (`cues`: a city's team, "Liverpool, who
   drew"; a company introduced as one, "the streaming service Mubi"), as the article goes on
   to use the name in that sense;
7. score salience: each mention weighs by where it stands (headline 3, the lead about 2.5,
   falling to 1 over the first couple of thousand characters); an entity's salience is its
   share of the article's total, so saliences add up to 1 and compare across articles.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from newswire.text import without_possessive
from schemas.models import Entity, EntityType
from services.enrich.cues import RACE_TIME
from services.enrich.names import HEAD_BEFORE, PARTY_MEMBERS, given_names, looks_like
from services.enrich.places import PLACE_TYPES, Gazetteer, name_key

TITLE_WEIGHT = 3.0
LEAD_BONUS = 1.5
LEAD_DECAY_CHARS = 600.0
MAX_NAME_CHARS = 80
MAX_NAME_WORDS = 8
# The most salient this many are kept. No article names more entities worth a reader's look,
# and a record with every name of a list of thousands would be larger than Kafka takes: the
# article would be lost to the dead-letter topic.
MAX_ENTITIES = 200

_TYPES = {member.value: member for member in EntityType}
_TRIM = "-\u2013\u2014\"'\u201c\u201d\u2018\u2019\u00ab\u00bb()[]{}<>,;:!?*_|#~ \t"
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
# What spaCy takes into a span and no name holds: an aside after it, whole or cut short
# ("Telecom Regulatory Authority of India (Trai", the acronym the text gives next), or a result
# after a team or a player: a match's score ("Borussia Dortmund 3-1", hyphen or en dash), a
# tennis match's sets and tie-breaks ("Steffi Graf 6-4 6-3", "Sampras 7-6 (7-3) 6-4"), a race
# time or gap ("McLaren 1:28:47.213", "Alpine +3.904"), and a comma after it ("Welbeck 9,").
_TRAILING_ASIDE = re.compile(r"\s*\([^()]*\)?$")
_TRAILING_RESULT = re.compile(
    rf"(?:\s+(?:\d+\s*[-\u2013]\s*\d+|\(\d+(?:\s*[-\u2013]\s*\d+)?\)|{RACE_TIME}))+,?$|,$"
)
# A scorer's minute ("Salah 41", "Welbeck 9"): no person's name ends in a number. Other names may
# ("Channel 4", "Paris 2024", "Blink 182"), but not in a minute's two digits ("Isak 78").
_TRAILING_MINUTE = re.compile(r"\s+\d{2}$")
_TRAILING_PERSON_MINUTE = re.compile(r"\s+\d{1,3}$")
# Capitals, and a small letter between two of them for a small word ("BoE", "MoD", "DfE").
_ACRONYM = re.compile(r"^[A-Z](?:[A-Z]|[a-z](?=[A-Z])){1,5}$")
# Abbreviations news writes as common nouns, which spaCy's models, trained on older news, take
# for an organisation: "AI" (in many technology and business articles since 2023).
_COMMON_NOUN_ABBREVIATIONS = frozenset({"AI"})
_SHORT_CAPITALS = re.compile(r"^[A-Z]{2,3}$")
_MINOR_WORDS = frozenset({"of", "the", "and", "for", "&", "de", "du", "la", "le"})
# No name ends in one of them in English, nor in a lower-case "party": spaCy's "the Party for
# Freedom of" (Geert Wilders), "the Tisza party".
_TRAILING_MINOR_WORD = re.compile(r"\s+(?:of|the|and|for|&|party)$")
# Lower-case words that belong inside names: "Bank of England", "Charles de Gaulle",
# "Ursula von der Leyen", "Newcastle upon Tyne", "Museum nan Eilean".
_PARTICLES = _MINOR_WORDS | frozenset(
    {
        "al",
        "an",
        "bin",
        "da",
        "das",
        "del",
        "der",
        "di",
        "dos",
        "e",
        "el",
        "en",
        "et",
        "ibn",
        "na",
        "nan",
        "on",
        "upon",
        "van",
        "von",
        "y",
        "zu",
    }
)
_JOINABLE = frozenset(EntityType) - PLACE_TYPES
# How a name is looked up among the short forms of longer ones: ("person", ("erdogan",)).
_Lookup = tuple[str, tuple[str, ...]]
# What a one-word name spaCy took for a person's is looked up as, in turn, when the usual lookups
# find no longer name it is short for: the given name a quote or a sports report goes by ("Tadej
# was stronger"; but "McDavid" is Connor McDavid's surname before it is the first word of a
# headline's "McDavid hat-trick", and "Rogers" the company is not "Rogers Place"), then a
# company's short name ("Santander" of "Santander UK").
_LAST_RESORTS = ("given", "org")
_COUNTRY_TYPES = frozenset({EntityType.GPE, EntityType.LOC})


@dataclass(frozen=True)
class Mention:
    """One NER span: its text, spaCy label, weight (see `position_weight`), whether it stands
    in the headline, whether the words around it say it names an organisation (`cues`), the
    place's country when the way it is written says which ("Ga." is Georgia, US), and whether
    it is a common word capitalised to open a sentence, which the article writes in lower case
    elsewhere ("Party leader Ed Davey", "Health Secretary Wes Streeting")."""

    text: str
    label: str
    weight: float = 1.0
    in_title: bool = False
    organisation: bool = False
    country_code: str | None = None
    common_word: bool = False


def position_weight(start: int, body_start: int) -> float:
    """How much a mention at character `start` counts; text before `body_start` is the headline."""
    if start < body_start:
        return TITLE_WEIGHT
    return 1.0 + LEAD_BONUS * math.exp(-(start - body_start) / LEAD_DECAY_CHARS)


def clean_name(text: str, label: EntityType | None = None) -> str | None:
    """The mention's name as written, normalised; None when it is junk. `label` is spaCy's."""
    # A span may end in the line break after it ("Galaxy\n\n", a headline's last word), but one
    # across a line break is two names run together.
    if "\n" in text.strip():
        return None
    name = " ".join(text.split())
    name = _TRAILING_RESULT.sub("", _TRAILING_ASIDE.sub("", name))
    minute = _TRAILING_PERSON_MINUTE if label is EntityType.PERSON else _TRAILING_MINUTE
    name = minute.sub("", name).strip(_TRIM)
    name = without_possessive(name).strip(_TRIM)
    name = _TRAILING_MINOR_WORD.sub("", _LEADING_THE.sub("", name))
    words = name.split()
    if (
        len(name) < 2
        or "<" in name  # markup left in the text ("Macron</a")
        or ">" in name
        or len(name) > MAX_NAME_CHARS
        or len(words) > MAX_NAME_WORDS
        or name in _COMMON_NOUN_ABBREVIATIONS
        or not any(char.isupper() for char in name)
        or (len(words) > 1 and any(_is_common_word(word) for word in words))
    ):
        return None
    return name


def _is_common_word(word: str) -> bool:
    """A word in lower case, no digits ("FTSE 100"), that is no name particle: "hat-trick" of
    a headline's "McDavid hat-trick" too."""
    return word.islower() and word.replace("-", "").isalpha() and word not in _PARTICLES


@dataclass
class _Group:
    """Mentions taken for one entity: each spelling with the labels spaCy gave it."""

    key: str
    spellings: dict[str, Counter[EntityType]] = field(default_factory=dict)
    weight: float = 0.0
    in_title_only: bool = True
    common_words_only: bool = True
    organisation: bool = False
    country_code: str | None = None
    prior: EntityType | None = None

    def add_mention(self, name: str, label: EntityType, mention: Mention) -> None:
        labels = self.spellings.get(name)
        if labels is None:
            labels = self.spellings[name] = Counter()
        labels[label] += 1
        self.weight += mention.weight
        self.in_title_only = self.in_title_only and mention.in_title
        self.common_words_only = self.common_words_only and mention.common_word
        self.organisation = self.organisation or mention.organisation
        self.country_code = self.country_code or mention.country_code

    def absorb(self, other: _Group, label: EntityType, as_name: str | None = None) -> None:
        """Takes in another group's mentions as mentions of this entity, of type `label`, and
        spelt `as_name` when their own spelling is not a name to show."""
        for name, labels in other.spellings.items():
            self.spellings.setdefault(as_name or name, Counter())[label] += labels.total()
        self.weight += other.weight
        self.in_title_only = self.in_title_only and other.in_title_only

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.key.split())

    @property
    def mentions(self) -> int:
        return sum(labels.total() for labels in self.spellings.values())

    @property
    def name(self) -> str:
        """The fullest spelling: most words, then not in capitals only (a dateline's "NAIROBI",
        a headline's), then most often written, then longest, then first."""
        if len(self.spellings) == 1:  # most entities, asked for their name several times
            return next(iter(self.spellings))
        order = {name: position for position, name in enumerate(self.spellings)}
        return max(
            order,
            key=lambda name: (
                len(name.split()),
                not name.isupper(),
                self.spellings[name].total(),
                len(name),
                -order[name],
            ),
        )

    @property
    def acronym(self) -> str | None:
        """The name as an acronym in capitals ("NATO", "U.S." as "US", "BoE" as "BOE"), if it
        is one."""
        letters = self.name.replace(".", "")
        return letters.upper() if _ACRONYM.match(letters) else None

    @property
    def label(self) -> EntityType:
        """ORG when the words around a mention say so; else the majority of spaCy's labels and
        the prior vote, where a tie goes to the prior, else to the label the fullest spelling
        got most. A country, capital or large city is no NORP, however often spaCy said so
        ("Paraguay were level": a national team's name read as its people's)."""
        if self.organisation:
            return EntityType.ORG
        votes: Counter[EntityType] = Counter()
        for labels in self.spellings.values():
            votes.update(labels)
        if self.prior is not None:
            votes[self.prior] += 1
        fullest = self.spellings[self.name].most_common(1)[0][0]
        label = _majority(votes, self.prior or fullest)
        return (
            EntityType.GPE if label is EntityType.NORP and self.prior is EntityType.GPE else label
        )


def resolve_entities(
    mentions: Iterable[Mention],
    gazetteer: Gazetteer,
    given: Collection[str] | None = None,
) -> list[Entity]:
    """One `Entity` per distinct entity among an article's mentions, by salience, the
    `MAX_ENTITIES` most salient.

    `given` is the set of given names (as `name_key`s); by default `names.given_names()`.
    """
    groups = _group(mentions)
    known_given = given_names() if given is None else given
    for group in groups:
        group.prior = _prior(group, gazetteer, known_given)
    groups = _join_headline_spans(groups)
    groups = _join_partial_names(groups, gazetteer)
    groups = _join_country_names(groups, gazetteer)
    total = sum(group.weight for group in groups) or 1.0
    entities = [_entity(group, total, gazetteer) for group in groups]
    ranked = sorted(entities, key=lambda entity: (-entity.salience, -entity.mentions, entity.name))
    return ranked[:MAX_ENTITIES]


def _group(mentions: Iterable[Mention]) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for mention in mentions:
        label = _TYPES.get(mention.label)
        name = clean_name(mention.text, label) if label is not None else None
        if label is None or name is None or (label is EntityType.PERSON and name.isupper()):
            continue
        key = name_key(name)
        if not key:
            continue
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(key=key)
        group.add_mention(name, label, mention)
    return [group for group in groups.values() if not group.common_words_only]


def _prior(group: _Group, gazetteer: Gazetteer, given: Collection[str]) -> EntityType | None:
    """The one type a group's own words speak for, if any (step 2 of the module doc)."""
    name = group.name
    if not _SHORT_CAPITALS.match(name):
        place = gazetteer.place_type(group.key)
        if place is not None:
            return place
    if group.key in gazetteer.places:  # "Atlantic City" is a town, whatever its last word
        return None
    shape = looks_like(name, given)
    first = name_key(name.split()[0])
    if shape is EntityType.PERSON and (first in gazetteer.nations or first in gazetteer.demonyms):
        return None  # "France Unbowed", "Israel Aerospace"
    return shape


def _join_headline_spans(groups: list[_Group]) -> list[_Group]:
    """Folds a headline-only name into the body's name that ends it ("Carmaker Stellantis")."""
    by_key = {group.key: group for group in groups}
    kept: list[_Group] = []
    for group in groups:
        words = group.words
        tails = (" ".join(words[start:]) for start in range(1, len(words)))
        target = next((by_key[tail] for tail in tails if tail in by_key), None)
        if group.in_title_only and target is not None and not target.in_title_only:
            target.absorb(group, target.label, as_name=target.name)
        else:
            kept.append(group)
    return kept


def _join_partial_names(groups: list[_Group], gazetteer: Gazetteer) -> list[_Group]:
    """Folds each shorter name into the one longer name it abbreviates, longest names first."""
    # Labels before any joining changes the votes.
    labels = {group.key: group.label for group in groups}
    full_names: dict[_Lookup, list[_Group]] = {}
    for group in groups:
        for short in _short_forms(group, labels[group.key], gazetteer):
            full_names.setdefault(short, []).append(group)
    folded_into: dict[str, _Group] = {}
    kept: list[_Group] = []
    for group in sorted(groups, key=lambda group: -len(group.words)):
        label = labels[group.key]
        candidates = _full_names_of(_lookups(group, label, gazetteer), full_names)
        for resort in _LAST_RESORTS:
            candidates = candidates or _full_names_of(
                _one_word_person_lookups(group, label, resort), full_names
            )
        # "Tayyip Erdogan" may already be part of "Recep Tayyip Erdogan": count that once.
        targets = {id(target): target for target in map(_final(folded_into), candidates)}
        if len(targets) == 1:
            (target,) = targets.values()
            target.absorb(group, labels[target.key])
            folded_into[group.key] = target
        else:
            kept.append(group)
    return kept


def _full_names_of(lookups: list[_Lookup], full_names: dict[_Lookup, list[_Group]]) -> list[_Group]:
    return [full_name for lookup in lookups for full_name in full_names.get(lookup, [])]


def _short_forms(group: _Group, label: EntityType, gazetteer: Gazetteer) -> list[_Lookup]:
    """How a longer name may be shortened: a PERSON's last words or first name, an ORG's first
    or last words or initials, a place's initials."""
    words = group.words
    if len(words) < 2:
        return []
    if label is EntityType.PERSON:
        surnames = [("person", words[-size:]) for size in range(1, len(words))]
        return [*surnames, ("given", words[:1])]
    if label is EntityType.ORG:
        prefixes = [("org", words[:size]) for size in range(1, len(words))]
        suffixes = [
            ("org", words[size:])
            for size in range(1, len(words))
            if _is_suffix_form(words[:size], words[size:], gazetteer)
        ]
        initials = [("org", (form,)) for form in _initials(group.name)]
        return [*prefixes, *suffixes, *initials, *_party_members(words)]
    if label in _COUNTRY_TYPES:
        return [("place", (form,)) for form in _initials(group.name)]
    return []


def _party_members(words: tuple[str, ...]) -> list[_Lookup]:
    """What a party's members are called, which names the party too: "conservatives" for the
    "Conservative Party (of Canada)", "christian democrats" for the "Christian Democratic
    Union"; the longest such name its first words make."""
    for size in range(len(words) - 1, 0, -1):
        members = words[size - 1].removesuffix("ic") + "s"
        if members in PARTY_MEMBERS:
            return [("org", (*words[: size - 1], members))]
    return []


def _is_suffix_form(head: tuple[str, ...], tail: tuple[str, ...], gazetteer: Gazetteer) -> bool:
    """Whether an ORG's last words name it without the first ones ("Dortmund" for "Borussia
    Dortmund", "Maple Leafs" for "Toronto Maple Leafs"): not after a country ("US Senate"),
    and not a name of its own built round "of" ("Bank of Canada", "Royal Bank of Canada")."""
    prefix = " ".join(head)
    country = prefix in gazetteer.nations or prefix in gazetteer.demonyms
    return not country and not HEAD_BEFORE & set(tail)


def _lookups(group: _Group, label: EntityType, gazetteer: Gazetteer) -> list[_Lookup]:
    """The short forms this name could be: any joinable type, or a place the gazetteer does not
    know, may be a surname spaCy mislabelled."""
    lookups: list[_Lookup] = []
    # A country or demonym is never a surname here; a town may be ("Hamilton", "Lincoln").
    country = group.key in gazetteer.nations or group.key in gazetteer.demonyms
    if label in _JOINABLE or (label in PLACE_TYPES and not country):
        lookups.append(("person", group.words))
    if label is EntityType.ORG:
        lookups.append(("org", group.words))
    acronym = group.acronym
    if acronym is not None and label is EntityType.ORG:
        lookups.append(("org", (acronym,)))
    if acronym is not None and label in _COUNTRY_TYPES:
        lookups.append(("place", (acronym,)))
    return lookups


def _one_word_person_lookups(group: _Group, label: EntityType, kind: str) -> list[_Lookup]:
    """A one-word name spaCy took for a person's, looked up as a short form of `kind`."""
    return [(kind, group.words)] if label is EntityType.PERSON and len(group.words) == 1 else []


def _final(folded_into: dict[str, _Group]) -> Callable[[_Group], _Group]:
    def follow(group: _Group) -> _Group:
        while group.key in folded_into:
            group = folded_into[group.key]
        return group

    return follow


def _initials(name: str) -> set[str]:
    """The acronyms a name may go by: of its words but the small ones ("ECB"), and of them all
    ("BOJ" for "Bank of Japan")."""
    words = name.replace("-", " ").split()
    major = "".join(word[0] for word in words if word.casefold() not in _MINOR_WORDS)
    return {major.upper(), "".join(word[0] for word in words).upper()}


def _join_country_names(groups: list[_Group], gazetteer: Gazetteer) -> list[_Group]:
    """Folds the names an article uses for one country into its fullest one."""
    by_code: dict[str, list[_Group]] = {}
    kept: list[_Group] = []
    for group in groups:
        code = gazetteer.nation(group.key) if group.label in _COUNTRY_TYPES else None
        if code is None:
            kept.append(group)
        else:
            by_code.setdefault(code, []).append(group)
    for same in by_code.values():
        fullest = max(same, key=lambda group: (len(group.words), group.mentions, len(group.key)))
        for group in same:
            if group is not fullest:
                fullest.absorb(group, EntityType.GPE)
        kept.append(fullest)
    return kept


def _entity(group: _Group, total: float, gazetteer: Gazetteer) -> Entity:
    label = group.label
    codes = (gazetteer.country_code(spelling, label) for spelling in group.spellings)
    code = group.country_code if label in PLACE_TYPES else None
    code = code or next(filter(None, codes), None)
    return Entity(
        name=group.name,
        type=label,
        mentions=group.mentions,
        salience=round(group.weight / total, 4),
        country_code=code,
    )


def _majority(votes: Counter[EntityType], tie_break: EntityType) -> EntityType:
    best = max(votes.values())
    leaders = [label for label, count in votes.items() if count == best]
    return tie_break if tie_break in leaders else leaders[0]

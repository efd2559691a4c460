"""From NER mentions to one `Entity` per distinct thing an article names.

The steps, each a pure function of the mentions of one article:

1. clean each mention: trim quotes and brackets, drop a possessive ("Russia's") and a leading
   "the"; drop junk: types outside `EntityType` (dates, numbers, money), spans without a letter
   or an upper-case letter, single characters, spans across paragraphs or implausibly long, and
   a PERSON in capitals alone (spaCy's "RL" out of "RFE/RL" is no one's name);
2. group mentions whose names compare equal (`places.name_key`: case, accents, dots aside);
3. join partial names to the full one: a surname-only or shorter name ("Erdogan", "Tayyip
   Erdogan") to the one longer PERSON name ending in it; an ORG to the one longer ORG name it
   begins ("Apple" and "Apple Inc.") or whose initials it spells ("NATO"). A short name that
   could stand for two longer ones ("Biden": Joe or Hunter) stays on its own;
4. decide each entity's type by majority over all its mentions, so one mislabelled mention does
   not make a second entity. A name the gazetteer knows as a country, capital, large city or
   demonym casts one more vote and wins a tie: spaCy's small model calls "Kyiv" a PERSON now
   and then;
5. score salience: each mention weighs by where it stands (headline 3, the lead about 2.5,
   falling to 1 over the first couple of thousand characters); an entity's salience is its
   share of the article's total, so saliences add up to 1 and compare across articles.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from schemas.models import Entity, EntityType
from services.enrich.places import PLACE_TYPES, Gazetteer, name_key

TITLE_WEIGHT = 3.0
LEAD_BONUS = 1.5
LEAD_DECAY_CHARS = 600.0
MAX_NAME_CHARS = 80
MAX_NAME_WORDS = 8

_TYPES = {member.value: member for member in EntityType}
_TRIM = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb()[]{}<>,;:!?*_|#~ \t"
_POSSESSIVE = re.compile("(?<=\\w)['\u2019]s$|(?<=s)['\u2019]$")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_ACRONYM = re.compile(r"^[A-Z]{2,6}$")
_MINOR_WORDS = frozenset({"of", "the", "and", "for", "&", "de", "du", "la", "le"})
_JOINABLE = frozenset(EntityType) - PLACE_TYPES - {EntityType.FAC}


@dataclass(frozen=True)
class Mention:
    """One NER span: its text, spaCy label and weight (see `position_weight`)."""

    text: str
    label: str
    weight: float = 1.0


def position_weight(start: int, body_start: int) -> float:
    """How much a mention at character `start` counts; text before `body_start` is the headline."""
    if start < body_start:
        return TITLE_WEIGHT
    return 1.0 + LEAD_BONUS * math.exp(-(start - body_start) / LEAD_DECAY_CHARS)


def clean_name(text: str) -> str | None:
    """The mention's name as written, normalised; None when it is junk."""
    if "\n" in text:
        return None
    name = " ".join(text.split()).strip(_TRIM)
    name = _POSSESSIVE.sub("", name).strip(_TRIM)
    name = _LEADING_THE.sub("", name)
    if (
        len(name) < 2
        or len(name) > MAX_NAME_CHARS
        or len(name.split()) > MAX_NAME_WORDS
        or not any(char.isupper() for char in name)
    ):
        return None
    return name


@dataclass
class _Group:
    """Mentions taken for one entity: each spelling with the labels spaCy gave it."""

    key: str
    spellings: dict[str, Counter[EntityType]] = field(default_factory=dict)
    weight: float = 0.0

    def add_mention(self, name: str, label: EntityType, weight: float) -> None:
        self.spellings.setdefault(name, Counter())[label] += 1
        self.weight += weight

    def absorb(self, other: _Group) -> None:
        for name, labels in other.spellings.items():
            self.spellings.setdefault(name, Counter()).update(labels)
        self.weight += other.weight

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.key.split())

    @property
    def mentions(self) -> int:
        return sum(labels.total() for labels in self.spellings.values())

    @property
    def labels(self) -> Counter[EntityType]:
        return sum(self.spellings.values(), Counter())

    @property
    def name(self) -> str:
        """The fullest spelling: most words, then most often written, then longest, then first."""
        order = {name: position for position, name in enumerate(self.spellings)}
        return max(
            order,
            key=lambda name: (
                len(name.split()),
                self.spellings[name].total(),
                len(name),
                -order[name],
            ),
        )

    @property
    def label(self) -> EntityType:
        """spaCy's majority label; a tie goes to the label the fullest spelling got most."""
        fullest = self.spellings[self.name]
        return _majority(self.labels, fullest.most_common(1)[0][0])


def resolve_entities(mentions: Iterable[Mention], gazetteer: Gazetteer) -> list[Entity]:
    """One `Entity` per distinct entity among an article's mentions, by salience."""
    groups = _join_partial_names(_group(mentions))
    total = sum(group.weight for group in groups) or 1.0
    entities = [_entity(group, total, gazetteer) for group in groups]
    return sorted(entities, key=lambda entity: (-entity.salience, -entity.mentions, entity.name))


def _group(mentions: Iterable[Mention]) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for mention in mentions:
        label = _TYPES.get(mention.label)
        name = clean_name(mention.text) if label is not None else None
        if label is None or name is None or (label is EntityType.PERSON and name.isupper()):
            continue
        key = name_key(name)
        if key:
            groups.setdefault(key, _Group(key=key)).add_mention(name, label, mention.weight)
    return list(groups.values())


def _join_partial_names(groups: list[_Group]) -> list[_Group]:
    """Folds each shorter name into the one longer name it abbreviates, longest names first."""
    # Labels as spaCy gave them, before any joining changes the votes.
    labels = {group.key: group.label for group in groups}
    full_names: dict[tuple[str, tuple[str, ...]], list[_Group]] = {}
    for group in groups:
        for short in _short_forms(group, labels[group.key]):
            full_names.setdefault(short, []).append(group)
    folded_into: dict[str, _Group] = {}
    kept: list[_Group] = []
    for group in sorted(groups, key=lambda group: -len(group.words)):
        candidates = [
            full_name
            for lookup in _lookups(group, labels[group.key])
            for full_name in full_names.get(lookup, [])
        ]
        # "Tayyip Erdogan" may already be part of "Recep Tayyip Erdogan": count that once.
        targets = {id(target): target for target in map(_final(folded_into), candidates)}
        if len(targets) == 1:
            (target,) = targets.values()
            target.absorb(group)
            folded_into[group.key] = target
        else:
            kept.append(group)
    return kept


def _short_forms(group: _Group, label: EntityType) -> list[tuple[str, tuple[str, ...]]]:
    """How a longer name may be shortened: a PERSON's last words, an ORG's first words or
    initials."""
    words = group.words
    if label is EntityType.PERSON:
        return [("person", words[-size:]) for size in range(1, len(words))]
    if label is EntityType.ORG and len(words) > 1:
        prefixes = [("org", words[:size]) for size in range(1, len(words))]
        return [*prefixes, ("org", (_initials(group.name),))]
    return []


def _lookups(group: _Group, label: EntityType) -> list[tuple[str, tuple[str, ...]]]:
    """The short forms this name could be: any joinable type may be a surname spaCy mislabelled."""
    if label not in _JOINABLE:
        return []
    lookups = [("person", group.words)]
    if label is EntityType.ORG:
        lookups.append(("org", group.words))
        if _ACRONYM.match(group.name):
            lookups.append(("org", (group.name,)))
    return lookups


def _final(folded_into: dict[str, _Group]) -> Callable[[_Group], _Group]:
    def follow(group: _Group) -> _Group:
        while group.key in folded_into:
            group = folded_into[group.key]
        return group

    return follow


def _initials(name: str) -> str:
    words = name.replace("-", " ").split()
    return "".join(word[0] for word in words if word.casefold() not in _MINOR_WORDS).upper()


def _entity(group: _Group, total: float, gazetteer: Gazetteer) -> Entity:
    name = group.name
    votes = group.labels
    place_vote = gazetteer.place_type(group.key)
    if place_vote is not None:
        votes[place_vote] += 1
    label = _majority(votes, place_vote or group.label)
    codes = (gazetteer.country_code(spelling, label) for spelling in group.spellings)
    code = next(filter(None, codes), None)
    return Entity(
        name=name,
        type=label,
        mentions=group.mentions,
        salience=round(group.weight / total, 4),
        country_code=code,
    )


def _majority(votes: Counter[EntityType], tie_break: EntityType) -> EntityType:
    best = max(votes.values())
    leaders = [label for label, count in votes.items() if count == best]
    return tie_break if tie_break in leaders else leaders[0]

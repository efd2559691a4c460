"""The article records newswire publishes: the single source of truth for their shape.

`schemas/json/` holds JSON Schema files generated from these models (`make schemas`); a test fails
when the files and the models disagree. A change that removes or retypes a field needs a new major
version, and with it a new `schema` header value.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, ClassVar

import pycountry
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


def language_code(tag: object) -> str | None:
    """The ISO 639-1 part of a language tag (`en-US` and `en_US` give `en`), if it has one."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    primary = _WITHDRAWN.get(primary, primary)
    return primary if primary in _iso_639_1() else None


# ISO 639-1 codes withdrawn for new ones, which old software (Java's Locale, for one) still
# writes into feeds; pycountry lists only the codes in force.
_WITHDRAWN = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


@functools.cache
def _iso_639_1() -> frozenset[str]:
    codes = (getattr(language, "alpha_2", None) for language in pycountry.languages)
    return frozenset(code for code in codes if code)


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+05:00 is a time before year 1 in UTC
        raise ValueError("a time that UTC cannot express") from exc


# Every record time is in UTC, whatever offset another producer wrote it with.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


# Whoever wrote the record (a feed, a seed, another producer): a tag whose primary subtag is no
# ISO 639-1 code ("English", "eng", "xx") is no known language, and enrich identifies the
# language itself.
LanguageCode = Annotated[
    str | None,
    BeforeValidator(language_code),
    Field(description="ISO 639-1 code, if known."),
]


class Record(BaseModel):
    """Base of every record: immutable, and tolerant of fields added by a newer minor version."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class SourceKind(StrEnum):
    SEED = "seed"
    RSS = "rss"
    ATOM = "atom"
    JSONFEED = "jsonfeed"


class Source(Record):
    """Where an article came from."""

    kind: SourceKind
    feed_url: str | None = Field(default=None, description="The feed polled; null for seeds.")
    feed_title: str | None = None
    site: str | None = Field(default=None, description="Host name of the publisher's site.")
    path: str | None = Field(default=None, description="Seed file name, for seeds.")


class Enclosure(Record):
    """A file an item points to (a podcast, an image): RSS `<enclosure>`, Atom enclosure links,
    Media RSS content and thumbnails, JSON Feed attachments."""

    url: str
    mime_type: str | None = None
    length: int | None = Field(default=None, ge=0, description="Bytes, as the feed says.")


class RawArticle(Record):
    """`newswire.article.raw/1`: an article as ingest found it, normalised."""

    SCHEMA: ClassVar[str] = "newswire.article.raw/1"

    id: str = Field(pattern=r"^[0-9a-f]{32}$", description="Stable id from the canonical URL.")
    url: str | None = Field(default=None, description="Canonical URL; null for a seed without one.")
    title: str
    summary: str = ""
    body: str = Field(default="", description="Plain text.")
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list, description="As given by the feed.")
    language: LanguageCode = None
    published_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = Field(
        default=None,
        description="When the source says the article changed after `published_at`; on a "
        "republished update without one, the fetch that found the change.",
    )
    fetched_at: UtcDatetime
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of title and body.")
    source: Source
    published_at_inferred: bool = Field(
        default=False,
        description="The feed gave no publication time: `published_at` is when ingest first "
        "saw the item.",
    )
    guid: str | None = Field(default=None, description="The feed's own id for the item.")
    enclosures: list[Enclosure] = Field(default_factory=list)


class EntityType(StrEnum):
    PERSON = "PERSON"
    ORG = "ORG"
    GPE = "GPE"
    LOC = "LOC"
    NORP = "NORP"
    FAC = "FAC"
    EVENT = "EVENT"
    LAW = "LAW"
    PRODUCT = "PRODUCT"
    WORK_OF_ART = "WORK_OF_ART"
    LANGUAGE = "LANGUAGE"


class Entity(Record):
    """One distinct named entity of an article, all its spellings joined."""

    name: str = Field(description="Canonical name: the fullest spelling found in the article.")
    type: EntityType
    mentions: int = Field(ge=1)
    salience: Score
    country_code: CountryCode | None = None


class Topic(Record):
    """An IPTC Media Topic the article is about."""

    code: str = Field(pattern=r"^medtop:\d{8}$")
    label: str
    score: Score


class Feature(StrEnum):
    """What enrich finds in an article."""

    ENTITIES = "entities"
    TOPICS = "topics"
    KEYWORDS = "keywords"


class Enricher(Record):
    """What produced an enriched record, so a consumer can tell old enrichments from new."""

    version: str
    models: dict[str, str] = Field(description="Model or data package name to its version.")


class EnrichedArticle(RawArticle):
    """`newswire.article.enriched/1`: a raw article plus what enrich found in it."""

    SCHEMA: ClassVar[str] = "newswire.article.enriched/1"

    entities: list[Entity] = Field(default_factory=list, description="By salience, highest first.")
    topics: list[Topic] = Field(default_factory=list, description="By score, highest first.")
    keywords: list[str] = Field(
        default_factory=list,
        description="Up to 10 phrases of one to three words from the headline and lead (YAKE), "
        "best first; none begins or ends inside one of the article's entity names.",
    )
    skipped: dict[Feature, str] = Field(
        default_factory=dict,
        description="What enrich did not look for in this article, each with why (entities and "
        "topics in text not in English, keywords in text written without spaces between words). "
        "An empty list of a feature not named here means that none was found. Since 1.1.",
    )
    enriched_at: UtcDatetime
    enricher: Enricher


def utc_now() -> datetime:
    """The current time, time-zone aware, as every record timestamp is."""
    return datetime.now(UTC)


ALL_RECORDS: tuple[type[RawArticle], ...] = (RawArticle, EnrichedArticle)

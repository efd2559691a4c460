"""Builds `RawArticle` records: where every source's items become one shape with a stable id."""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas import RawArticle, Source
from schemas.models import Enclosure
from services.ingest.identity import canonical_url, content_hash, id_from_content_hash, id_from_url

__all__ = ["ArticleDraft", "ArticleKeys", "Enclosure", "article_keys", "build_article"]


class ArticleDraft(BaseModel):
    """What a source says about an article, before normalisation; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1)
    body: str = ""
    summary: str = ""
    url: str | None = None
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    language: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    guid: str | None = Field(default=None, description="The feed's own id for the item.")
    enclosures: list[Enclosure] = Field(default_factory=list)
    published_at_inferred: bool = Field(
        default=False,
        description="The source gave no publication time with a zone; the caller fills in its own.",
    )

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        """A headline is one line, however its source wrapped it."""
        return " ".join(value.split())

    @field_validator("published_at", "updated_at")
    @classmethod
    def _assume_utc(cls, value: datetime | None) -> datetime | None:
        """A naive time has no zone to keep; UTC is the only honest reading of it."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


@dataclass(frozen=True, slots=True)
class ArticleKeys:
    """What a draft's article is known by. Canonicalising the link and hashing the text are the
    costly part of building an article, and a feed item needs them for dedup, for the index across
    feeds and for its record: they are worked out once, by `article_keys`, and passed along."""

    url: str | None  # canonical; None when the draft has no link
    content_hash: str
    id: str  # from the canonical URL, or from the text without one


def article_keys(draft: ArticleDraft) -> ArticleKeys:
    """The draft's keys; ValueError when its link is not a URL."""
    url = canonical_url(draft.url) if draft.url else None
    digest = content_hash(draft.title, draft.body)
    return ArticleKeys(url, digest, id_from_url(url) if url else id_from_content_hash(digest))


def build_article(
    draft: ArticleDraft, source: Source, fetched_at: datetime, keys: ArticleKeys | None = None
) -> RawArticle:
    """The record of a draft, whose `article_keys` the caller may know already; a draft whose
    source gave no time (`published_at_inferred`) and none filled in by the caller is published
    when it was fetched, and the record says so."""
    if keys is None:
        keys = article_keys(draft)
    published_at = draft.published_at
    if published_at is None and draft.published_at_inferred:
        published_at = fetched_at
    if source.site is None and keys.url is not None:  # a seed's: the site its link is on
        source = source.model_copy(update={"site": urlsplit(keys.url).hostname})
    return RawArticle(
        id=keys.id,
        url=keys.url,
        title=draft.title,
        summary=draft.summary,
        body=draft.body,
        authors=_distinct(draft.authors),
        categories=_distinct(draft.categories),
        language=draft.language,
        published_at=published_at.astimezone(UTC) if published_at else None,
        updated_at=draft.updated_at.astimezone(UTC) if draft.updated_at else None,
        fetched_at=fetched_at,
        content_hash=keys.content_hash,
        source=source,
        published_at_inferred=draft.published_at_inferred,
        guid=draft.guid,
        enclosures=draft.enclosures,
    )


def _distinct(values: list[str]) -> list[str]:
    """Order kept, blanks and repeats dropped."""
    return list(dict.fromkeys(filter(None, map(str.strip, values))))

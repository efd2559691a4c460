"""newswire's record models: `from schemas import EnrichedArticle` is all a consumer needs."""

from schemas.models import (
    ALL_RECORDS,
    EnrichedArticle,
    Enricher,
    Entity,
    EntityType,
    Feature,
    RawArticle,
    Source,
    SourceKind,
    Topic,
    language_code,
    utc_now,
)

__all__ = [
    "ALL_RECORDS",
    "EnrichedArticle",
    "Enricher",
    "Entity",
    "EntityType",
    "Feature",
    "RawArticle",
    "Source",
    "SourceKind",
    "Topic",
    "language_code",
    "utc_now",
]

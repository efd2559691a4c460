"""Which articles a person asked to see: `newswire tail --entity --about --source --language`.

Values of one criterion are alternatives (any may match); criteria combine (all must match). An
empty filter accepts every record, articles or not; any criterion accepts articles only.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from schemas import EnrichedArticle, RawArticle, SourceKind, language_code

_TOPIC_CODE = re.compile(r"^(?:medtop:)?(\d{8})$")


def topic_code(text: str) -> str:
    """An IPTC Media Topic code as given (`medtop:16000000` or `16000000`), in its full form."""
    match = _TOPIC_CODE.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an IPTC Media Topic code such as medtop:16000000")
    return f"medtop:{match[1]}"


def _words(name: str) -> str:
    """A name compared by whole words, regardless of case and accents, however its characters
    are composed: ` recep tayyip erdogan ` for "Recep Tayyip Erdoğan" and for what a person types
    on a keyboard without ğ."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return f" {' '.join(letters.split())} "


def language(tag: str) -> str:
    """An ISO 639-1 language code as given (`en`, `EN` and `en-GB` are `en`; `iw` is `he`)."""
    code = language_code(tag)
    if code is None:
        raise ValueError(f"{tag!r} is not an ISO 639-1 language code such as en or de")
    return code


@dataclass(frozen=True)
class ArticleFilter:
    entities: frozenset[str] = frozenset()
    topic_codes: frozenset[str] = frozenset()
    source_kinds: frozenset[SourceKind] = frozenset()
    languages: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        entities: Iterable[str] = (),
        topic_codes: Iterable[str] = (),
        source_kinds: Iterable[str] = (),
        languages: Iterable[str] = (),
    ) -> "ArticleFilter":
        """A filter from what a person typed; raises ValueError for a malformed topic code or
        language."""
        return cls(
            entities=frozenset(_words(name) for name in entities),
            topic_codes=frozenset(topic_code(code) for code in topic_codes),
            source_kinds=frozenset(SourceKind(kind) for kind in source_kinds),
            languages=frozenset(language(tag) for tag in languages),
        )

    @property
    def active(self) -> bool:
        return bool(self.entities or self.topic_codes or self.source_kinds or self.languages)

    def accepts(self, article: RawArticle | None) -> bool:
        """Whether to show a record holding `article` (None: a record that holds no article)."""
        if article is None:
            return not self.active
        if self.source_kinds and article.source.kind not in self.source_kinds:
            return False
        if self.languages and article.language not in self.languages:
            return False
        if not (self.entities or self.topic_codes):
            return True
        if not isinstance(article, EnrichedArticle):
            return False  # a raw article has no entities or topics yet
        return self._names_entity(article) and self._is_about(article)

    def _names_entity(self, article: EnrichedArticle) -> bool:
        # "Erdogan" finds "Recep Tayyip Erdogan"; "Erdo" finds nothing.
        names = [_words(entity.name) for entity in article.entities]
        return not self.entities or any(
            wanted in name for wanted in self.entities for name in names
        )

    def _is_about(self, article: EnrichedArticle) -> bool:
        # Enrich gives an article with a subtopic its top-level parent too, so a top-level code
        # finds everything under it.
        return not self.topic_codes or any(t.code in self.topic_codes for t in article.topics)

"""The articles the benchmarks use: ~500 words each, the same for a given count and seed.

Two kinds of text. `news` shuffles the sentences of the seed article into paragraphs: English
news that the tagger finds people, places and topics in (what `tag_speed` has always measured).
Its 14 sentences repeat so often that a batch of four articles gzips about 9:1, far beyond real
news, so compression is measured on `prose`: the seed's sentences mixed with the English prose of
Python's own reference documentation (`pydoc_data`, shipped with every Python), which compresses
about as real articles do (about 2.5:1 for a batch of four with gzip).

Every article also names people, a company and a town nobody named before (made-up words), with
numbers of its own, as real news does: a service that keeps something per name it has seen (a
vocabulary, a cache) grows with them here as it would in production.

Articles become records the way ingest makes them: an `ArticleDraft` per seed line, then
`build_article` (canonical URL, id, content hash).
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from pydoc_data.topics import topics as pydoc_topics
from typing import Literal

from newswire.kafka.serde import ArticleSerializer, Headers, article_key
from schemas import RawArticle, Source, SourceKind, utc_now
from services.ingest.normalize import ArticleDraft, build_article

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_47538fdd1a9e32f6.txt"
WORDS_PER_ARTICLE = 500
SENTENCES_PER_PARAGRAPH = 3
EPOCH = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

Text = Literal["news", "prose"]
Record = tuple[bytes, bytes, Headers]  # key, value, headers: as the producer sends them


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 3]


@cache
def _seed() -> tuple[str, list[str]]:
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n\n")
    return title.strip(), _sentences(body)


@cache
def _pool(text: Text) -> tuple[str, ...]:
    _, news = _seed()
    if text == "news":
        return tuple(news)
    markup = set("<>{}[]=`*|\\")
    prose = [
        " ".join(sentence.split())
        for sentence in _sentences(" ".join(pydoc_topics.values()))
        if len(sentence.split()) < 60 and not markup & set(sentence)
    ]
    return tuple(news + prose)


_SYLLABLES = (
    "ka", "lo", "mir", "ten", "vas", "dro", "pel", "qui", "sor", "bran", "el", "ux",
    "zan", "rho", "fen", "gal", "ost", "tri", "mun", "bel", "cor", "dax", "ir", "wen",
)  # fmt: skip


def _coined(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def _fresh_sentence(rng: random.Random) -> str:
    """A sentence with names and numbers no other article has."""
    person = f"{_coined(rng)} {_coined(rng)}"
    return (
        f"{person}, who speaks for {_coined(rng)} Holdings in {_coined(rng)}, said "
        f"{rng.randint(1_000, 999_999):,} people had signed up and that {_coined(rng)} "
        f"would report again on {rng.randint(1, 28)} April."
    )


def drafts(count: int, text: Text = "news", seed: int = 0) -> list[dict[str, object]]:
    """`count` seed-file articles (the JSON objects a `.jsonl` seed holds), each distinct."""
    title, _ = _seed()
    pool = _pool(text)
    rng = random.Random(seed)
    articles: list[dict[str, object]] = []
    for number in range(count):
        chosen = [_fresh_sentence(rng)]
        while sum(len(sentence.split()) for sentence in chosen) < WORDS_PER_ARTICLE:
            chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(pool))
        paragraphs = [
            " ".join(chosen[start : start + SENTENCES_PER_PARAGRAPH])
            for start in range(0, len(chosen), SENTENCES_PER_PARAGRAPH)
        ]
        articles.append(
            {
                "title": title if text == "news" else chosen[0][:90],
                "body": "\n\n".join(paragraphs),
                "summary": paragraphs[0][:280],
                "url": f"https://News.Bench.example/{text}/{seed}/{number}?utm_source=bench",
                "authors": [f"Reporter {number % 17}"],
                "categories": ["world" if number % 2 else "business"],
                "language": "en",
                "published_at": (EPOCH + timedelta(minutes=number)).isoformat(),
            }
        )
    return articles


def raw_articles(items: list[dict[str, object]]) -> list[RawArticle]:
    """The raw records ingest makes of `items` (as `newswire tag` fills them in)."""
    now = utc_now()
    source = Source(kind=SourceKind.SEED, path="bench.jsonl")
    return [build_article(ArticleDraft.model_validate(item), source, now) for item in items]


def write_seeds(directory: Path, items: list[dict[str, object]], per_file: int = 100) -> None:
    """`items` as `.jsonl` seed files of `per_file` articles, named in order."""
    directory.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(items), per_file):
        lines = [json.dumps(item) for item in items[start : start + per_file]]
        (directory / f"{start:08d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def serialized(articles: list[RawArticle], topic: str) -> list[Record]:
    """Each article as the bytes and headers the project's one serializer gives it."""
    serializer = ArticleSerializer()
    records: list[Record] = []
    for article in articles:
        headers: Headers = []
        value = serializer.serialize(topic, headers, article)
        records.append((article_key(article), value, headers))
    return records


def words(article: RawArticle) -> int:
    return len(f"{article.title} {article.body}".split())

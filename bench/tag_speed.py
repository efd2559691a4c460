"""How fast `Tagger.tag` enriches ~500-word English articles on one core, every feature on.

The articles are made from the seed article's sentences, shuffled into paragraphs (a fixed seed
keeps runs comparable). The process is pinned to one CPU before numpy is loaded, so that neither
BLAS threads nor a second core flatter the result. Rates are per second of this process's CPU
time: on an idle machine that equals the wall-clock time (also printed), and on a shared one it
still measures what one core can do. Prints one JSON line:
{"name": "tag_speed", "articles_per_s": ..., "words_per_s": ..., "cpu_s": ..., "wall_s": ...}

    .venv/bin/python bench/tag_speed.py [--articles 200] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import os

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import hashlib
import json
import random
import re
import time
from pathlib import Path

from schemas.models import RawArticle, Source, SourceKind, utc_now
from services.enrich.tag import Tagger

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_47538fdd1a9e32f6.txt"
WORDS_PER_ARTICLE = 500
SENTENCES_PER_PARAGRAPH = 3


def synthetic_articles(count: int, seed: int = 0) -> list[RawArticle]:
    """`count` articles of about `WORDS_PER_ARTICLE` words from the seed's shuffled sentences."""
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n\n")
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", body) if len(s.split()) > 3]
    rng = random.Random(seed)
    articles = []
    for number in range(count):
        chosen: list[str] = []
        while sum(len(sentence.split()) for sentence in chosen) < WORDS_PER_ARTICLE:
            chosen.append(rng.choice(sentences))
        paragraphs = [
            " ".join(chosen[start : start + SENTENCES_PER_PARAGRAPH])
            for start in range(0, len(chosen), SENTENCES_PER_PARAGRAPH)
        ]
        text = "\n\n".join(paragraphs)
        articles.append(
            RawArticle(
                id=hashlib.sha256(f"bench-{number}".encode()).hexdigest()[:32],
                title=title,
                body=text,
                fetched_at=utc_now(),
                content_hash=hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
                source=Source(kind=SourceKind.SEED, path=f"bench-{number}.txt"),
            )
        )
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    articles = synthetic_articles(args.articles)
    words = sum(len(f"{article.title} {article.body}".split()) for article in articles)
    tagger = Tagger(batch_size=args.batch_size)
    tagger.tag(articles[:2])  # first-call costs (lazy caches, memory) are not throughput
    wall, cpu = time.perf_counter(), time.process_time()
    tagger.tag(articles)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        json.dumps(
            {
                "name": "tag_speed",
                "articles_per_s": round(len(articles) / cpu, 2),
                "words_per_s": round(words / cpu, 1),
                "cpu_s": round(cpu, 2),
                "wall_s": round(wall, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

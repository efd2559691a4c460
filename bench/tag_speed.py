"""How fast `Tagger.tag` enriches ~500-word English articles on one core, every feature on.

The articles are corpus.py's `news` ones (the seed article's sentences shuffled into paragraphs,
plus a sentence of new names; a fixed seed keeps runs comparable). The process is pinned to one
CPU before numpy is loaded, so that neither BLAS threads nor a second core flatter the result.
Rates are per second of this process's CPU time: on an idle machine that equals the wall-clock
time (also printed), and on a shared one it still measures what one core can do.

The bare component is spaCy's NER alone (the tagger's own pipeline, `nlp.pipe` on the same texts
in the same batches): the ratio says how much of the tagger's time NER is, the rest being
language detection, keywords, entity resolution and topics. The bar (issue 4): at least 20
articles per second.

    .venv/bin/python -m bench.tag_speed [--quick] [--articles N] [--batch-size N]
"""

from __future__ import annotations

import os

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

from bench.corpus import drafts, raw_articles, words
from bench.harness import (
    Result,
    Run,
    arguments,
    argv_of,
    clock,
    per_second,
    ratio,
)
from services.enrich.tag import Tagger, load_ner

TARGET = 20.0


def main() -> None:
    args = arguments(__doc__, {"articles": (200, 32), "batch_size": (32, 32)})
    run = Run("bench.tag_speed", argv_of(args, "articles", "batch_size"))
    articles = raw_articles(drafts(args.articles, "news"))
    count, total_words = len(articles), sum(map(words, articles))
    tagger = Tagger(batch_size=args.batch_size)
    tagger.tag(articles[:2])  # first-call costs (lazy caches, memory) are not throughput
    with clock() as tagged:
        for start in range(0, count, args.batch_size):
            tagger.tag(articles[start : start + args.batch_size])
    nlp = load_ner()
    texts = [f"{article.title}\n\n{article.body}" for article in articles]
    list(nlp.pipe(texts[:2]))
    with clock() as ner:
        for start in range(0, count, args.batch_size):
            list(nlp.pipe(texts[start : start + args.batch_size], batch_size=args.batch_size))
    rate = per_second(count, tagged.cpu)
    run.emit(
        Result(
            name="tag_speed",
            figures={
                "articles": count,
                "articles_per_cpu_s": rate,
                "words_per_cpu_s": per_second(total_words, tagged.cpu),
                "cpu_s": round(tagged.cpu, 2),
                "wall_s": round(tagged.wall, 2),
            },
            bare={
                "component": "spaCy NER alone (nlp.pipe)",
                "articles_per_cpu_s": per_second(count, ner.cpu),
                "cpu_s": round(ner.cpu, 2),
            },
            ratio=ratio(rate, per_second(count, ner.cpu)),
            ratio_basis="articles_per_cpu_s",
            target=f"articles_per_cpu_s >= {TARGET:g} (one core)",
            met=rate >= TARGET,
        )
    )


if __name__ == "__main__":
    main()

"""Tags the hand-labelled dev set and says how good the entities and topics are, and how fast.

Each file (default: every `eval/dev_*.jsonl`) is reported on its own, then all together.

Entities are compared per article as sets of canonical names, micro-averaged over articles:
- per type (PERSON, ORG, GPE, LOC, FAC, NORP), a prediction counts only with the right type;
- "overall" compares persons, organisations and places (GPE, LOC and FAC are one class, as in
  the project's quality bar), so calling Kyiv a LOC instead of a GPE is no error there;
- "names" ignores type altogether;
- "bare spaCy" is "overall" for the spaCy model alone, each distinct span an entity, with no
  resolution. The issue gives this baseline's figure on the held-out corpora (0.67); side by
  side with its figure here, it says how much easier this dev set is than those.
A prediction matches a labelled entity when their names compare equal (`places.name_key`: case,
accents, dots, possessive and "the" aside) or it is one of the entity's listed aliases ("US" for
"United States"). A second prediction for the same labelled entity (the tagger failed to join
"Bayrou" to "Francois Bayrou") is a false positive. Names a file lists under `ignore` (events,
awards, spans a careful annotator could label either way) are neither right nor wrong.

Country codes: among labelled places and demonyms that have a code and were found (by name),
the share the tagger gave the same code. Topics: top-1 accuracy after mapping the tagger's best
topic to its newsroom section (`eval/sections.py`), also for the headline and first paragraph
alone (what many feeds give, and a harder test: whole articles give the lexicon a lot to go
on), and whether the best topic's top-level code is among the labelled ones. Speed: CPU time of
`Tagger.tag` over the file's (short, whole) articles;
`bench/tag_speed.py` is the reference for 500-word articles.

With `--headlines title`, every headline is first written as many US outlets write theirs, each
word capitalised but for short function words; with `--headlines upper`, in capitals only, as
some wires do: what the figures owe to sentence-case headlines. With `--tokenised`, headline and
body are first written as tokenised corpora give text, every token apart ("Elon Musk 's",
"Housing , Communities"), by spaCy's English tokenizer: what they owe to text as it is published.

    .venv/bin/python eval/evaluate.py [--verbose] [--headlines {title,upper}] [--tokenised]
        [FILE ...]

The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from pydantic import BaseModel, ConfigDict, Field
from spacy.language import Language
from spacy.tokenizer import Tokenizer

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR.parent))  # run as a script: the repository's packages first

from eval.sections import Section, section_of, top_level  # noqa: E402
from schemas.models import (  # noqa: E402
    EnrichedArticle,
    Entity,
    EntityType,
    RawArticle,
    Source,
    SourceKind,
    utc_now,
)
from services.enrich.places import name_key  # noqa: E402
from services.enrich.tag import Tagger, load_ner  # noqa: E402

PLACE = "PLACE"
SCORED_TYPES = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP")
CLASS_OF_TYPE = {"PERSON": "PERSON", "ORG": "ORG", "GPE": PLACE, "LOC": PLACE, "FAC": PLACE}
CODED_TYPES = frozenset({EntityType.GPE, EntityType.LOC, EntityType.NORP})
# Left in lower case in a title-case headline (AP and Chicago style alike).
SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "off"}
    | {"on", "onto", "or", "over", "per", "the", "to", "up", "via", "with"}
)


class GoldEntity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: EntityType
    country_code: str | None = None
    aliases: list[str] = Field(default_factory=list)

    @property
    def keys(self) -> tuple[str, ...]:
        """The name's key, then its aliases': an entity found under several is taken by the
        first, the same one on every run (a set's order changes with Python's hash seed)."""
        return tuple(dict.fromkeys(name_key(name) for name in (self.name, *self.aliases)))


class GoldArticle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    desk: str
    section: Section
    topics: list[str] = Field(min_length=1)
    title: str
    body: str
    entities: list[GoldEntity]
    ignore: list[str] = Field(default_factory=list)

    def raw(self, lead_only: bool = False) -> RawArticle:
        """The article as ingest would publish it; with `lead_only`, as a feed item that gives
        only the headline and first paragraph."""
        body = self.body.split("\n\n")[0] if lead_only else self.body
        digest = hashlib.sha256(f"{self.title}\n{body}".encode()).hexdigest()
        return RawArticle(
            id=digest[:32],
            title=self.title,
            body=body,
            fetched_at=utc_now(),
            content_hash=digest,
            source=Source(kind=SourceKind.SEED, path=f"eval/{self.id}"),
        )


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def figures(self) -> dict[str, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"p": round(precision, 3), "r": round(recall, 3), "f1": round(f1, 3)}


@dataclass
class Errors:
    """What one article got wrong, for `--verbose`."""

    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)


def compare(
    gold: Sequence[tuple[str, GoldEntity]],
    predicted: Sequence[tuple[str, Entity]],
    ignored: frozenset[str],
) -> tuple[Counts, Errors]:
    """Sets of (label, entity) compared by name within each label."""
    counts, errors = Counts(), Errors()
    matched: set[int] = set()
    for label, entity in predicted:
        key = name_key(entity.name)
        hit = next(
            (
                index
                for index, (gold_label, candidate) in enumerate(gold)
                if gold_label == label and key in candidate.keys
            ),
            None,
        )
        if hit is not None and hit not in matched:
            matched.add(hit)
            counts.tp += 1
        elif hit is None and key in ignored:
            continue
        else:
            counts.fp += 1
            errors.false_positives.append(f"{entity.name} ({label})")
    for index, (label, missed) in enumerate(gold):
        if index not in matched:
            counts.fn += 1
            errors.false_negatives.append(f"{missed.name} ({label})")
    return counts, errors


def compare_overall(gold: GoldArticle, predicted: Iterable[Entity]) -> tuple[Counts, Errors]:
    """Persons, organisations and places (one class), as the project's quality bar counts them."""
    return compare(
        [(CLASS_OF_TYPE[e.type], e) for e in gold.entities if e.type in CLASS_OF_TYPE],
        [(CLASS_OF_TYPE[e.type], e) for e in predicted if e.type in CLASS_OF_TYPE],
        frozenset(name_key(name) for name in gold.ignore),
    )


def bare_spacy_entities(nlp: Language, articles: Sequence[GoldArticle]) -> list[list[Entity]]:
    """What the spaCy model alone finds: each distinct span text and label an entity, with no
    resolution ("Erdogan" and "Recep Tayyip Erdogan" are two)."""
    docs = nlp.pipe(f"{article.title}\n\n{article.body}" for article in articles)
    return [
        [
            Entity(name=name, type=EntityType(label), mentions=1, salience=0.0)
            for name, label in dict.fromkeys((ent.text, ent.label_) for ent in doc.ents)
            if label in CLASS_OF_TYPE
        ]
        for doc in docs
    ]


@dataclass
class Report:
    """Everything measured on one set of articles."""

    by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    overall: Counts = field(default_factory=Counts)
    names: Counts = field(default_factory=Counts)
    bare_spacy: Counts = field(default_factory=Counts)
    article_f1: list[float] = field(default_factory=list)
    codes_right: int = 0
    codes_total: int = 0
    sections_right: int = 0
    lead_sections_right: int = 0
    topics_right: int = 0
    articles: int = 0
    words: int = 0
    cpu_seconds: float = 0.0

    def add(self, gold: GoldArticle, enriched: EnrichedArticle, verbose: bool) -> None:
        self.articles += 1
        self.words += len(f"{gold.title} {gold.body}".split())
        ignored = frozenset(name_key(name) for name in gold.ignore)
        for entity_type in SCORED_TYPES:
            counts, _ = compare(
                [("t", e) for e in gold.entities if e.type == entity_type],
                [("t", e) for e in enriched.entities if e.type == entity_type],
                ignored,
            )
            self.by_type[entity_type].add(counts)
        overall, errors = compare_overall(gold, enriched.entities)
        self.overall.add(overall)
        self.article_f1.append(overall.figures()["f1"])
        names, _ = compare(
            [("n", e) for e in gold.entities if e.type in CLASS_OF_TYPE],
            [("n", e) for e in enriched.entities if e.type in CLASS_OF_TYPE],
            ignored,
        )
        self.names.add(names)
        wrong_codes = self._add_codes(gold, enriched.entities)
        top = enriched.topics[0].code if enriched.topics else None
        predicted_section = section_of(top) if top else None
        self.sections_right += predicted_section == gold.section
        self.topics_right += top is not None and top_level(top) in gold.topics
        if verbose:
            label = (
                f"{top} ({enriched.topics[0].label}, {enriched.topics[0].score})" if top else "none"
            )
            mark = "ok " if predicted_section == gold.section else "MISS"
            print(f"{gold.id} {mark} section {gold.section}: top topic {label}")
            if errors.false_positives:
                print(f"    false positives: {', '.join(errors.false_positives)}")
            if errors.false_negatives:
                print(f"    false negatives: {', '.join(errors.false_negatives)}")
            if wrong_codes:
                print(f"    country codes: {', '.join(wrong_codes)}")

    def _add_codes(self, gold: GoldArticle, predicted: Iterable[Entity]) -> list[str]:
        by_key = {name_key(entity.name): entity for entity in predicted}
        wrong: list[str] = []
        for labelled in gold.entities:
            if labelled.country_code is None or labelled.type not in CODED_TYPES:
                continue
            found = next((by_key[key] for key in labelled.keys if key in by_key), None)
            if found is None:
                continue
            self.codes_total += 1
            if found.country_code == labelled.country_code:
                self.codes_right += 1
            else:
                wrong.append(f"{labelled.name} {found.country_code} for {labelled.country_code}")
        return wrong

    def summary(self) -> dict[str, object]:
        return {
            "articles": self.articles,
            "entities": {
                "overall": self.overall.figures(),
                "overall_article_mean_f1": round(
                    sum(self.article_f1) / max(1, len(self.article_f1)), 3
                ),
                "names_only": self.names.figures(),
                "bare_spacy_overall": self.bare_spacy.figures(),
                **{kind: self.by_type[kind].figures() for kind in SCORED_TYPES},
            },
            "country_code_accuracy": round(self.codes_right / max(1, self.codes_total), 3),
            "country_codes_checked": self.codes_total,
            "section_top1_accuracy": round(self.sections_right / max(1, self.articles), 3),
            "section_top1_accuracy_lead_only": round(
                self.lead_sections_right / max(1, self.articles), 3
            ),
            "iptc_top1_accuracy": round(self.topics_right / max(1, self.articles), 3),
            "articles_per_cpu_s": round(self.articles / self.cpu_seconds, 1)
            if self.cpu_seconds
            else None,
            "words_per_cpu_s": round(self.words / self.cpu_seconds) if self.cpu_seconds else None,
        }

    def print_table(self, name: str) -> None:
        print(f"\n== {name}: {self.articles} articles, {self.words} words")
        print(f"{'entities':<10} {'P':>6} {'R':>6} {'F1':>6} {'gold':>5}")
        rows = [*((kind, self.by_type[kind]) for kind in SCORED_TYPES), ("overall", self.overall)]
        rows += [("names", self.names), ("bare spaCy", self.bare_spacy)]
        for label, counts in rows:
            figures = counts.figures()
            gold = counts.tp + counts.fn
            print(
                f"{label:<10} {figures['p']:>6.3f} {figures['r']:>6.3f} {figures['f1']:>6.3f} "
                f"{gold:>5}"
            )
        summary = self.summary()
        print(
            f"country codes {summary['country_code_accuracy']} of {self.codes_total}; "
            f"section top-1 {summary['section_top1_accuracy']} "
            f"(headline and lead only {summary['section_top1_accuracy_lead_only']}); "
            f"IPTC top-1 {summary['iptc_top1_accuracy']}; "
            f"{summary['articles_per_cpu_s']} articles per CPU second"
        )


def load(path: Path, headlines: str | None = None, tokenise: bool = False) -> list[GoldArticle]:
    lines = path.read_text(encoding="utf-8").splitlines()
    articles = [GoldArticle.model_validate_json(line) for line in lines if line.strip()]
    if tokenise:
        tokenizer = _english_tokenizer()
        articles = [
            article.model_copy(
                update={
                    "title": tokenised(article.title, tokenizer),
                    "body": tokenised(article.body, tokenizer),
                }
            )
            for article in articles
        ]
    if headlines is None:
        return articles
    recase = in_title_case if headlines == "title" else str.upper
    return [article.model_copy(update={"title": recase(article.title)}) for article in articles]


@functools.cache
def _english_tokenizer() -> Tokenizer:
    """spaCy's English tokenizer alone, built once for every file `load` tokenises."""
    return spacy.blank("en").tokenizer


def tokenised(text: str, tokenizer: Tokenizer) -> str:
    """`text` with its tokens apart, line by line: "Musk's plan." as "Musk 's plan ."."""
    return "\n".join(
        " ".join(token.text for token in tokenizer(line) if not token.is_space)
        for line in text.split("\n")
    )


def in_title_case(headline: str) -> str:
    """ "Arsenal beat Manchester City to go top" as "Arsenal Beat Manchester City to Go Top";
    a word with a capital inside ("iPhone") stays as it is."""
    words = headline.split(" ")
    return " ".join(
        word[:1].upper() + word[1:]
        if word.islower() and (position == 0 or word not in SMALL_WORDS)
        else word
        for position, word in enumerate(words)
    )


def evaluate(tagger: Tagger, nlp: Language, articles: list[GoldArticle], verbose: bool) -> Report:
    report = Report()
    started = time.process_time()
    enriched = tagger.tag([article.raw() for article in articles])
    report.cpu_seconds = time.process_time() - started
    for gold, result in zip(articles, enriched, strict=True):
        report.add(gold, result, verbose)
    for gold, entities in zip(articles, bare_spacy_entities(nlp, articles), strict=True):
        report.bare_spacy.add(compare_overall(gold, entities)[0])
    leads = tagger.tag([article.raw(lead_only=True) for article in articles])
    report.lead_sections_right = sum(
        bool(lead.topics) and section_of(lead.topics[0].code) == gold.section
        for gold, lead in zip(articles, leads, strict=True)
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--verbose", action="store_true", help="Print each article's errors.")
    parser.add_argument(
        "--headlines", choices=("title", "upper"), help="Write every headline in this case first."
    )
    parser.add_argument(
        "--tokenised", action="store_true", help="Write every token apart first, as corpora do."
    )
    args = parser.parse_args()
    files: list[Path] = args.files or sorted(EVAL_DIR.glob("dev_*.jsonl"))
    started = time.perf_counter()
    tagger = Tagger()
    tagger.tag([GoldArticle.model_validate_json(files[0].read_text().splitlines()[0]).raw()])
    load_seconds = time.perf_counter() - started
    sets = {path.stem: load(path, args.headlines, args.tokenised) for path in files}
    nlp = load_ner()
    reports = {
        name: evaluate(tagger, nlp, articles, args.verbose) for name, articles in sets.items()
    }
    everything = evaluate(tagger, nlp, [a for articles in sets.values() for a in articles], False)
    for name, report in reports.items():
        report.print_table(name)
    if len(reports) > 1:
        everything.print_table("all")
    print(
        json.dumps(
            {
                "name": "eval",
                "load_s": round(load_seconds, 2),
                "all": everything.summary(),
                **{name: report.summary() for name, report in reports.items()},
            }
        )
    )


if __name__ == "__main__":
    main()

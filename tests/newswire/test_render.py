"""What a person's terminal gets from a record: its text, never instructions to the terminal."""

import json
from datetime import UTC, datetime

from newswire.render import (
    MAX_TITLE_CHARS,
    MAX_VALUE_BYTES,
    article_line,
    enriched_line,
    raw_line,
    record_json,
    record_line,
    shown,
)
from schemas import EnrichedArticle, Enricher, Entity, EntityType, Feature, Source, SourceKind
from services.ingest.normalize import ArticleDraft, build_article

# Sets the window title, clears the screen, turns text red; then a C1 CSI and a right-to-left
# override that would show the rest reversed.
HOSTILE = "\x1b]0;HACKED\x07\x1b[2J\x1b[31mBreaking\x9b2J \u202etxt.exe"


def enriched(title: str) -> EnrichedArticle:
    raw = build_article(
        ArticleDraft(title=title, body="Body."), Source(kind=SourceKind.SEED), datetime.now(UTC)
    )
    return EnrichedArticle(
        **raw.model_dump(),
        entities=[Entity(name="Evil\x1b[8m Corp", type=EntityType.ORG, mentions=1, salience=1.0)],
        enriched_at=datetime.now(UTC),
        enricher=Enricher(version="test", models={}),
    )


def test_controls_are_shown_escaped_never_sent_to_the_terminal() -> None:
    assert shown(HOSTILE) == ("\\x1b]0;HACKED\\x07\\x1b[2J\\x1b[31mBreaking\\x9b2J \\u202etxt.exe")
    assert shown("line\none\ttab") == "line one tab"
    assert shown("para\u2028graph\u2029") == "para\\u2028graph\\u2029"
    assert shown("Café, naïve, 東京, 😀") == "Café, naïve, 東京, 😀"


def test_every_line_of_a_record_is_safe_to_print() -> None:
    article = enriched(HOSTILE)
    lines = [
        enriched_line(article),
        raw_line(article),
        article_line(article),
        record_line(HOSTILE.encode(), []),  # a value that is no newswire record
    ]
    for line in lines:
        assert not any(
            (ord(char) < 32 and char != "\n") or 0x7F <= ord(char) <= 0x9F for char in line
        )
        assert "\u202e" not in line
        assert "HACKED" in line  # the text itself is still shown
    assert "Evil\\x1b[8m Corp" in enriched_line(article)


def test_json_output_is_json_whatever_the_value() -> None:
    document = {"a": [1, "caf\u00e9"]}
    assert json.loads(record_json(b"k", json.dumps(document).encode(), [])) == document
    deep = b"[" * 100_000 + b"]" * 100_000  # deeper than Python's recursion goes
    for value in (deep, b'{"a": NaN}', b"Infinity", b"{broken"):
        shown_as = json.loads(record_json(b"k", value, []), parse_constant=_refuse)
        assert shown_as == {"key": "k", "headers": {}, "value": value.decode()}


def test_json_output_escapes_what_a_terminal_would_act_on_and_still_reads_the_same() -> None:
    # A lone surrogate is legal in JSON text, and cannot be printed as UTF-8.
    value = json.dumps({"title": HOSTILE + "\u2028\ud800"}).encode()
    line = record_json(b"k", value, [])
    line.encode()  # printable
    assert not any(0x7F <= ord(char) <= 0x9F for char in line)
    assert not {"\u2028", "\u202e"} & set(line)
    assert json.loads(line) == json.loads(value)


def test_json_output_takes_only_utf8_for_json() -> None:
    value = json.dumps({"utf16": True}).encode("utf-16")
    assert json.loads(record_json(b"k", value, [])) == {
        "key": "k",
        "headers": {},
        "value": value.decode("utf-8", errors="replace"),
    }


def test_a_value_that_holds_no_article_is_shown_for_what_it_is() -> None:
    assert record_line(None, []) == "(a tombstone: no value)"
    assert record_line(b"", []) == "(an empty value)"
    assert record_line(b"x" * 1_000_000, []) == "x" * MAX_VALUE_BYTES + "… (1000000 bytes)"
    assert json.loads(record_json(b"k", None, []))["value"] is None
    assert json.loads(record_json(b"k", b"", []))["value"] == ""


def _refuse(constant: str) -> object:
    raise AssertionError(f"{constant} in the output")


def test_an_empty_list_says_why_when_enrich_did_not_look() -> None:
    reason = "text in 'zh': entities and topics are found in English only"
    article = enriched("美国总统宣布新的经济政策").model_copy(
        update={"entities": [], "skipped": {Feature.ENTITIES: reason, Feature.TOPICS: reason}}
    )
    _, entities, topics = enriched_line(article).splitlines()
    assert entities == f"    entities: - (not looked for: {reason})"
    assert topics == f"    topics:   - (not looked for: {reason})"
    looked = enriched("Nothing found").model_copy(update={"entities": []})
    assert enriched_line(looked).splitlines()[1:] == ["    entities: -", "    topics:   -"]


def test_a_title_of_megabytes_is_shown_cut_on_every_line() -> None:
    article = enriched("Breaking news " * 100_000)
    for line in (enriched_line(article), raw_line(article), article_line(article)):
        title = line.split("\n")[0]
        assert len(title) < MAX_TITLE_CHARS + 120
    assert enriched_line(article).split("\n")[0].endswith("…")
    assert enriched_line(enriched("Short\nand sweet")).startswith("Short and sweet\n")

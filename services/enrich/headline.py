"""A Title Case Headline In The Case Its Words Take In The Body.

Many outlets capitalise every word of a headline, and wires some in capitals only. Capitals are
what both YAKE and spaCy's NER take names by: on "Senate Passes Stopgap Spending Bill Hours
Before Shutdown Deadline" spaCy found "Bill Hours", on "Arsenal Beat Manchester City" "Arsenal
Beat". Such a headline is written as a sentence before it is tagged: in lower case, but for the
words the body writes with a capital only ("Paris", "NATO", "Arsenal"), which take the body's
spelling ("JAPAN" is "Japan").
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from newswire.text import without_possessive

# The share of a headline's longer words (over three letters, after the first), function words
# ("with", "over", which styles treat apart) and the body's names aside, with a capital that
# makes it title case: a sentence-case headline can be mostly names ("David Tennant returns to
# Royal Shakespeare Company"). One of those words in lower case says sentence case whatever the
# share: "Smith meets Obama in Berlin", whose "Smith" and "Obama" the body may not give.
TITLE_CASE_SHARE = 0.7
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")  # a word; "O'Brien" whole


def sentence_case(title: str, body: str) -> str:
    """`title` as a sentence when it is in title case, else as it is; `body` tells the names."""
    longer = [
        word
        for word in map(without_possessive, _WORD.findall(title)[1:])
        if len(word) > 3 and word.lower() not in STOP_WORDS
    ]
    # A word in lower case is none of the body's names, so it says sentence case unread.
    if any(map(str.islower, longer)):
        return title
    # A hyphenated word's parts are words too: "Chicago-based" writes "Chicago" with a capital.
    written = {
        without_possessive(part)
        for word in _WORD.findall(body)
        for part in (word, *word.split("-"))
    }
    names = {word for word in written if word[:1].isupper() and word.lower() not in written}
    words = [word for word in longer if word not in names]
    capitalised = sum(word[:1].isupper() for word in words)
    if not words or capitalised < TITLE_CASE_SHARE * len(words):
        return title
    return _WORD.sub(lambda word: _recased(word[0], names), title)


def _recased(word: str, names: set[str]) -> str:
    if without_possessive(word) in names:
        return word
    if "-" in word:  # "Chicago-Area" is "Chicago-area" when the body names only "Chicago"
        return "-".join(_recased(part, names) for part in word.split("-"))
    # A headline in capitals only ("JAPAN GET LUCKY WIN") names "Japan" as the body does.
    titled = word[:1] + word[1:].lower()
    return titled if word.isupper() and without_possessive(titled) in names else word.lower()

"""What wire copy writes around a story, mended before the story is tagged.

- **A slug before the headline**: "SOCCER - ARSENAL HOLD CHELSEA", "UPDATE 2-Oil rises",
  "GLOBAL MARKETS-Chip stocks slide".
  spaCy read the slug and the first name as one name ("Soccer - Arsenal", an ORG). The dash
  becomes a line break, which NER does not cross (`tag._paragraphs_apart`).
- **A dateline before the lead**: "LONDON, March 4 (Reuters) - ", "AUGUSTA, Ga. (AP) — ",
  "TOKYO 2025-06-03" on a line of its own. Its place in capitals came out as a name in capitals
  ("LONDON"), or as none ("AUGUSTA"); it is written as a name ("Augusta", "New York").

- **A number and a dash opening a line of results**: a seed's or a rank's, "1 - Pete Sampras
  (U.S.) beat ...". spaCy tagged no name after it (it did after "1. "); it becomes spaces.

Every character keeps its place, so offsets into the text stay right.
"""

from __future__ import annotations

import re

_DASH = r"[-\u2013\u2014]"
# A spaced dash anywhere in a headline parts two phrases; a hyphen after a slug in capitals parts
# it from a headline that is not ("GLOBAL MARKETS-Chip stocks", "UPDATE 2-Oil"), but a hyphen
# between capitals is a word's ("COCA-COLA").
_HEADLINE_BREAK = re.compile(
    rf"(?<=\s){_DASH}{{1,2}}(?=\s)"
    r"|^[A-Z]{2,}(?: [A-Z0-9]+)*(?P<hyphen>-)(?=[A-Z][a-z]|[a-z])"
)
# Three characters or more: "US - China talks resume" opens with no dateline.
_CAPITALS = r"[A-Z][A-Z.'\u2019-]{2,}"
_DATELINE = re.compile(
    # the place, in capitals: "LONDON", "NEW YORK", "ST. LOUIS", "NEW DELHI/MUMBAI"
    rf"(?P<place>{_CAPITALS}(?:[ /]{_CAPITALS})*)"
    # its state or country and the date, the agency: ", Ga.", ", Kenya", ", March 4", " (AP)"
    r"(?:,[ ][^\n,()\u2013\u2014]{1,30}?){0,2}(?:[ ]\([^()\n]{1,30}\))?"
    # and the dash after it, or an ISO date ending the line
    rf"(?:[ ]*{_DASH}{{1,2}}[ ]|[ ]+\d{{4}}-\d{{2}}-\d{{2}}[ ]*(?=\n|$))"
)
_CAPITALISED_WORD = re.compile(r"[A-Z]+")
_LINE_NUMBER = re.compile(rf"^\d{{1,3}}[ ]{_DASH}[ ](?=[A-Z])", re.MULTILINE)


def headline_apart(title: str) -> str:
    """`title` with a line break for each dash that sets a slug or a phrase apart."""
    return _HEADLINE_BREAK.sub(_as_line_breaks, title)


def recase_dateline(body: str) -> str:
    """`body` with its dateline's place, if it has one, written as a name."""
    match = _DATELINE.match(body)
    if match is None:
        return body
    start, end = match.span("place")
    place = _CAPITALISED_WORD.sub(lambda word: word[0][0] + word[0][1:].lower(), body[start:end])
    return body[:start] + place + body[end:]


def without_line_numbers(body: str) -> str:
    """`body` with spaces for the number and dash that open a line of results."""
    return _LINE_NUMBER.sub(lambda number: " " * len(number[0]), body)


def _as_line_breaks(match: re.Match[str]) -> str:
    if match["hyphen"] is not None:
        start = match.start("hyphen") - match.start()
        return match[0][:start] + "\n"
    return "\n" * len(match[0])

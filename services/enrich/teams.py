"""When a city's name stands for its team: "Liverpool, who drew 1-1", "beat Dortmund 3-1".

Sports reports name clubs by their home city ("Middlesbrough drop to seventh"), and spaCy reads
a place, which is right for "the race began in Barcelona" and wrong for "Barcelona beat Real
Madrid". A city's mention reads as a team's when the words just around it are a match
report's: a result ("beat", "drew with", "a 2-1 win over", "at home to", "a point behind"), a
score ("Wrexham 2-1"), a player or coach of it ("Celtic manager", "Dortmund's striker"), or
a plural "who" of the side ("Liverpool, who are second"). News of other kinds rarely puts a
city among such words. Countries are left alone: a national team is named as its country, and
labelled as one.
"""

from __future__ import annotations

import re

_SCORE = r"\d{1,3}\s*[-\u2013]\s*\d{1,3}"
_ROLES = (
    r"(?:manager|head coach|coach|boss|striker|forward|midfielder|defender|goalkeeper|keeper"
    r"|captain|squad|bowlers|batters|batsmen|innings)"
)
_AFTER = re.compile(
    rf"(?:['\u2019]s)?\s+{_ROLES}\b"
    r"|,\s+who\s+(?:are|were|have|drew|beat|sit|lie|stay|trail)\b"
    r"|\s+(?:beat|beats|defeated|thrashed|edged|drew|levelled|equalised|equalized|trail|trailed)\b"
    rf"|\s+{_SCORE}(?![\d.])"
)
_BEFORE = re.compile(
    r"(?:\b(?:beat|beats|beating|defeated|defeating|thrashed|edged"
    r"|(?:win|victory|defeat|draw|loss|lost|losing)\s+(?:over|against|to)"
    rf"|(?:drew|drawn|draw)\s+(?:{_SCORE}\s+)?with"
    r"|at\s+home\s+to|points?\s+(?:behind|clear\s+of|ahead\s+of)"
    r"|(?:match|game|fixture|tie|clash)\s+(?:against|with))"
    rf"|(?<![\d.]){_SCORE})"
    r"\s+(?:the\s+)?$"
)
_LOOK_AROUND = 40


def reads_as_team(text: str, start: int, end: int) -> bool:
    """Whether the name at `text[start:end]` stands among a match report's words."""
    if _AFTER.match(text, end, end + _LOOK_AROUND):
        return True
    return _BEFORE.search(text, max(0, start - _LOOK_AROUND), start) is not None

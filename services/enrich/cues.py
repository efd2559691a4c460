"""What the words around a name say it is, where spaCy's label is often wrong.

- **A city standing for its team.** Sports reports name clubs by their home city
  ("Middlesbrough drop to seventh"), and spaCy reads a place, which is right for "the race
  began in Barcelona" and wrong for "Barcelona beat Real Madrid". A city's mention reads as a
  team's when the words just around it are a match report's: a result ("beat", "drew with",
  "a 2-1 win over", "at home to", "a point behind"), a score ("Wrexham 2-1"), a player or coach
  of it ("Celtic manager", "Dortmund's striker"), or a plural "who" of the side ("Liverpool,
  who are second"). News of other kinds rarely puts a city among such words. Countries are
  left to the caller: a national team is named as its country, and labelled as one.
- **An organisation introduced as one.** News introduces a company the reader may not know
  by what it is: "the streaming service Mubi", "online retailers Shein and Temu", "exporters
  such as Toyota and Sony", "OpenAI, the maker of ChatGPT". spaCy took such one-word names for
  people or places. The nouns are those that name organisations only: not "owner",
  "producer" or "broadcaster", which name people as often.
"""

from __future__ import annotations

import re

_SCORE = r"\d{1,3}\s*[-\u2013]\s*\d{1,3}"
_ROLES = (
    r"(?:manager|head coach|coach|boss|striker|forward|midfielder|defender|goalkeeper|keeper"
    r"|captain|squad|bowlers|batters|batsmen|innings)"
)
_TEAM_AFTER = re.compile(
    rf"(?:['\u2019]s)?\s+{_ROLES}\b"
    r"|,\s+who\s+(?:are|were|have|drew|beat|sit|lie|stay|trail)\b"
    r"|\s+(?:beat|beats|defeated|thrashed|edged|drew|levelled|equalised|equalized|trail|trailed)\b"
    rf"|\s+{_SCORE}(?![\d.])"
)
_TEAM_BEFORE = re.compile(
    r"(?:\b(?:beat|beats|beating|defeated|defeating|thrashed|edged"
    r"|(?:win|victory|defeat|draw|loss|lost|losing)\s+(?:over|against|to)"
    rf"|(?:drew|drawn|draw)\s+(?:{_SCORE}\s+)?with"
    r"|at\s+home\s+to|points?\s+(?:behind|clear\s+of|ahead\s+of)"
    r"|(?:match|game|fixture|tie|clash)\s+(?:against|with))"
    rf"|(?<![\d.]){_SCORE})"
    r"\s+(?:the\s+)?$"
)
# Not "maker" alone, which is a film-maker before a name; after one, "OpenAI, the maker of
# ChatGPT", it is a company's.
_ORG_NOUN = (
    r"(?<![\w-])(?:companies|company|firms?|groups?|retailers?|platforms?|services?|streamers?"
    r"|banks?|lenders?|insurers?|carriers?|airlines?|(?:car|auto|chip|drug)makers?"
    r"|manufacturers?|brands?|chains?|start-?ups?|operators?|newspapers?|networks?"
    r"|conglomerates?|giants?|exchanges?|regulators?|agency|agencies|unions?|funds?|studios?"
    r"|outlets?|websites?|apps?|exporters?|importers?|suppliers?|ventures?)"
)
_NAME = r"[A-Z][\w&'.\u2019-]*(?:\s+[A-Z][\w&'.\u2019-]*)*"
# The noun just before the name, or before "such as" and the names listed ahead of it.
_ORG_BEFORE = re.compile(rf"{_ORG_NOUN}\s+(?:such\s+as\s+)?(?:{_NAME}\s*(?:,|\band\b)\s*)*$")
# An apposition: "OpenAI, the maker of ChatGPT", "Emirates, Dubai's state-owned airline"; not
# a person's, which names the organisation as a possessive or as an attribute: "Smith, the
# company's chief executive", "Jones, a former bank manager".
_ORG_AFTER = re.compile(
    r",\s+(?:the|a|an|its|their|[A-Z]\w*['\u2019]s)\s+(?:[\w-]+\s+){0,3}?"
    rf"(?:{_ORG_NOUN}|maker)\b"
    r"(?!['\u2019])(?!\s+(?:chief|head|boss|founder|executive|president|chair"
    r"|[a-z]+(?:er|ee|or|ist|ian|man|woman|person)s?)\b)"
)
_LOOK_AROUND = 40
_LOOK_BEHIND_LIST = 120


def reads_as_team(text: str, start: int, end: int) -> bool:
    """Whether the name at `text[start:end]` stands among a match report's words."""
    if _TEAM_AFTER.match(text, end, end + _LOOK_AROUND):
        return True
    return _TEAM_BEFORE.search(text, max(0, start - _LOOK_AROUND), start) is not None


def reads_as_organisation(text: str, start: int, end: int) -> bool:
    """Whether the name at `text[start:end]` is introduced as an organisation."""
    if _ORG_AFTER.match(text, end, end + _LOOK_AROUND * 2):
        return True
    return _ORG_BEFORE.search(text, max(0, start - _LOOK_BEHIND_LIST), start) is not None

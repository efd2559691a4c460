"""What the words around a name say it is, where spaCy's label is often wrong.

- **A city standing for its team.** Sports reports name clubs by their home city
  ("Middlesbrough drop to seventh"), and spaCy reads a place, which is right for "the race
  began in Barcelona" and wrong for "Barcelona beat Real Madrid". A city's mention reads as a
  team's when the words just around it are a match report's: a result ("beat", "drew with",
  "a 2-1 win over", "at home to", "a point behind"), a score ("Wrexham 2-1"), a player or coach
  of it ("Celtic manager", "Dortmund's striker"), or a plural "who" of the side ("Liverpool,
  who are second"). News of other kinds rarely puts a city among such words. Countries are
  left to the caller: a national team is named as its country, and labelled as one.
- **A line of results or a fixture.** Scores and fixtures are given as lines of their own,
  "Arsenal 2 Chelsea 1", "Everton v Liverpool", and whatever spaCy made of the names in them
  (Everton a person, Liverpool a place, Brentford nothing at all) they are teams, as is the
  team in a line of a race's results ("4. Lando Norris (Britain) McLaren +9.027"). A country is
  again left to the caller, and so is a full name spaCy took for a person's ("Luke Littler 7
  Luke Humphries 4" is darts').
- **An organisation introduced as one.** News introduces a company the reader may not know
  by what it is: "the streaming service Mubi", "online retailers Shein and Temu", "lenders
  including Barclays and Santander", "OpenAI, the maker of ChatGPT", "analysts at Goodbody",
  "the populist Sanseito party". spaCy took such one-word names for people or places, or left
  them out. The nouns are those that name organisations only: not "owner", "producer" or
  "broadcaster", which name people as often ("the public broadcaster NHK" does not).
- **A person introduced by a role, an age or a singular "who".** "Telecoms minister
  Jyotiraditya Scindia", "their star guard Tyrese Haliburton", "Haliburton, 25,", "Haliburton,
  who was hurt": spaCy took such names, neither of them English, for organisations'. Not
  after "manager", "champion" or "rival", which come before firms and clubs as often ("asset
  manager BlackRock", "defending champion Real Madrid"); and a side takes a plural "who".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
# A side's name within a line: "Brighton & Hove Albion", "Paris St-Germain", "St. Johnstone"; a
# full stop ends a sentence, not a name.
_SIDE_WORD = r"[A-Z](?:[\w&'.\u2019-]*[\w&'\u2019-])?"
_SIDE = rf"{_SIDE_WORD}(?:[ \t]+(?:&|{_SIDE_WORD}))*"
# A side's score, and its scorers after it: "Milan 1 (Leao 55) Paris St Germain 2 (Dembele 31)";
# a cricket side's runs, wickets and bowlers: "Surrey 298-6 dec (A. Stewart 88, G. Butcher 61)".
_LINE_SCORE = r"[ \t]+\d{1,3}(?:-\d{1,2})?(?:[ \t]+dec)?(?:[ \t]+\([^()\n]{0,80}\))?"
_VERSUS = r"[ \t]+(?:v|vs\.?)[ \t]+"
# What a match summary's line adds after the result: ". Halftime 1-0. Attendance 45,000."
_MATCH_FACTS = r"(?:\.?[ \t]+(?:Half-?time|HT|Attendance|Att)\b[^\n]{0,80})?\.?"
# Where a match was played, before its line: "At The Oval: Surrey 298-6 v Warwickshire."
_VENUE = r"(?:At[ \t]+[^:\n]{1,40}:[ \t]+)?"
_TABLE_NUMBERS = r"(?:[ \t]+[-+]?\d{1,3}){6,}"
# A row of standings: won, lost (and tied), winning percentage and games behind: "NEW YORK 74 56
# .569 -", "BOSTON 65 68 .489 10 1/2".
_STANDING = (
    r"(?:[ \t]+\d{1,3}){2,3}[ \t]+[01]?\.\d{3}(?:[ \t]+(?:-|\d{1,2}(?:\.5|[ \t]+1/2)?|1/2))?"
)
# Lines that are nothing but sides and numbers: a result, a fixture, a row of a league table
# ("3. Manchester City 24 15 4 5 51 26 49": six numbers or more, where a golfer's four rounds and
# total are five) or of standings.
_SIDE_LINES = tuple(
    re.compile(rf"^[ \t]*{line}[ \t]*$", re.MULTILINE)
    for line in (
        rf"(?P<home>{_SIDE}){_LINE_SCORE}[ \t]+(?P<away>{_SIDE}){_LINE_SCORE}{_MATCH_FACTS}",
        rf"{_VENUE}(?P<home>{_SIDE})(?:{_LINE_SCORE})?{_VERSUS}(?P<away>{_SIDE})"
        rf"(?:{_LINE_SCORE})?\.?",
        rf"(?:\d{{1,2}}\.?[ \t]+)?(?P<team>{_SIDE}){_TABLE_NUMBERS}",
        rf"(?P<standing>{_SIDE}){_STANDING}",
    )
)
# A player's name in a scorecard, a leaderboard or a scorer's brackets: initials and a surname,
# or two names ("G. Flower", "Saeed Anwar", "de Silva" after a given name).
_PLAYER = (
    r"(?<![\w.'\u2019-])(?:[A-Z]\.[ \t]?){0,3}[A-Z][\w'\u2019-]{1,30}"
    r"(?:[ \t]+(?:de[ \t]+)?[A-Z][\w'\u2019-]{1,30})?"
)
# How a batsman was out: caught, stumped, leg before or bowled by a bowler, or not at all.
_DISMISSAL = (
    rf"(?:(?:c[ \t]+(?:&|(?P<fielder>{_PLAYER}))[ \t]+|st[ \t]+(?P<keeper>{_PLAYER})[ \t]+"
    rf"|lbw[ \t]+|hit[ \t]+wicket[ \t]+)?b[ \t]+(?P<bowler>{_PLAYER})"
    r"|run[ \t]+out(?:[ \t]+\([^()\n]{0,40}\))?|not[ \t]+out|retired[ \t]+(?:hurt|out)"
    r"|absent[ \t]+hurt)"
)
# Lines of a scorecard or a leaderboard, and the players they name, whom spaCy took for clubs,
# places or products, or missed: a batsman's line, "G. Flower c Crawley b Gough 7" (runs, then
# perhaps balls, fours and sixes), a bowler's figures anywhere, "Gough 10-2-30-1" (overs,
# maidens, runs, wickets), and a golfer's rounds.
_PLAYER_LINES = (
    re.compile(
        rf"^[ \t]*(?P<batsman>{_PLAYER})[ \t]+{_DISMISSAL}(?:[ \t]+\d{{1,3}}\*?){{1,5}}[ \t]*$",
        re.MULTILINE,
    ),
    re.compile(rf"(?P<figures>{_PLAYER})[ \t]+\d{{1,2}}(?:\.\d)?-\d{{1,2}}-\d{{1,3}}-\d{{1,2}}\b"),
    # A golfer's rounds after their name and country: "Ernie Els (South Africa) 70 70 69".
    re.compile(
        rf"(?P<golfer>{_PLAYER})(?:[ \t]+\([^()\n]{{2,30}}\))?(?:[ \t]+[6-8]\d){{2,4}}"
        r"(?=[ \t]*(?:,|$))",
        re.MULTILINE,
    ),
)
# A scorer or bowler in brackets after a side's score: "(A. Stewart 88, G. Butcher 61)",
# "(J. Morris 72; A. Kumble 4-61)", "(Leao 55)".
_SCORER = re.compile(
    rf"[(,;][ \t]*(?P<scorer>{_PLAYER})[ \t]+\d{{1,3}}(?:-\d{{1,3}})?(?:[ \t]+(?:pen|og))?"
    r"(?=[ \t]*[,;)])"
)
# No line of sides and numbers is longer, and a name on a longer one is not looked for there.
_MAX_SIDE_LINE = 200
# A team in a line of a race's results, between the driver's country and their time or gap
# ending the line, which spaCy may have taken into the name: "8. Fernando Alonso (Spain) Aston
# Martin +48.190".
_AFTER_ENTRANT = re.compile(r"\)[ \t]+$")
# A race's time or a gap to the winner: "1:28:47.213", "+3.904 secs", "+1:01.437".
RACE_TIME = r"(?:\+?\d+(?::\d\d)+(?:\.\d+)?|\+\d+(?:\.\d+)?)(?:[ \t]*secs?)?"
_RACE_TEAM = re.compile(rf"[^\n]{{0,60}}?[ \t]{RACE_TIME}[ \t]*(?:\n|$)")
_FIXTURE_HOME = re.compile(rf"{_VERSUS}[A-Z]")
_FIXTURE_AWAY = re.compile(rf"[A-Z][\w.'\u2019-]*{_VERSUS}$")
# Not "maker" alone, which is a film-maker before a name; after one, "OpenAI, the maker of
# ChatGPT", it is a company's. Nor "broadcaster" alone, which is a presenter; "the public
# broadcaster NHK" is a company.
_ORG_NOUN = (
    r"(?<![\w-])(?:companies|company|firms?|groups?|retailers?|platforms?|services?|streamers?"
    r"|banks?|lenders?|insurers?|carriers?|airlines?|(?:car|auto|chip|drug)makers?"
    r"|manufacturers?|brands?|chains?|start-?ups?|operators?|newspapers?|networks?"
    r"|conglomerates?|giants?|exchanges?|regulators?|agency|agencies|unions?|funds?|studios?"
    r"|outlets?|websites?|apps?|exporters?|importers?|suppliers?|ventures?|bands?|brokerages?"
    r"|consultanc(?:y|ies)|(?:public|state|state-owned|national|commercial)[ \t]+broadcasters?)"
)
# A name of six words at most, on one line, from a word's start: found by a scan of the whole
# text, which a name of any length would make quadratic in a hostile run of capitalised words.
# A word of a name: initials ("D.C."), or a word with no full stop at its end, which ends a
# sentence more often than an abbreviation ("a strategist at ING. Chile produces").
_WORD = r"(?:[A-Z]\.(?:[A-Z]\.)+|[A-Z][\w&'\u2019-]{0,40}(?:\.[\w&'\u2019-]{1,40})?)"
_LINE_NAME = rf"(?<![\w&'.\u2019-]){_WORD}(?:[ \t]+{_WORD}){{0,5}}"
_LISTED_NAME = re.compile(_LINE_NAME)
# An apposition: "OpenAI, the maker of ChatGPT", "Emirates, Dubai's state-owned airline"; not
# a person's, which names the organisation as a possessive or as an attribute: "Smith, the
# company's chief executive", "Jones, a former bank manager"; and not a clause saying who said
# what: "Sales rose in Germany, the company said" names no company Germany.
_REPORTING_VERBS = (
    r"said|says|added|adds|told|tells|reported|reports|announced|announces|stated|states"
    r"|confirmed|confirms|noted|notes|warned|warns|wrote|writes|explained|explains|estimated"
    r"|estimates|expects|expected|predicted|predicts|forecast|forecasts|revealed|reveals"
    r"|disclosed|discloses|argued|argues|claimed|claims|insisted|insists|acknowledged|admitted"
)
_APPOSITION = (
    r",\s+(?:the|a|an|its|their|[A-Z]\w*['\u2019]s)\s+(?:[\w-]+\s+){0,3}?"
    rf"(?:{_ORG_NOUN}|maker)\b"
    r"(?!['\u2019])(?!\s+(?:chief|head|boss|founder|executive|president|chair"
    r"|[a-z]+(?:er|ee|or|ist|ian|man|woman|person)s?)\b)"
    rf"(?!\s+(?:{_REPORTING_VERBS})\b)"
)
# How news introduces organisations: the noun just before the name, or before "such as" or
# "including" and a list of names; an apposition after it; an analyst's firm; a party.
_INTRODUCTIONS = (
    re.compile(
        rf"{_ORG_NOUN}[ \t]+(?:(?:such[ \t]+as|including)[ \t]+)?"
        rf"(?P<names>{_LINE_NAME}(?:(?:,[ \t]*|[ \t]+and[ \t]+){_LINE_NAME})*)"
    ),
    re.compile(rf"(?P<names>{_LINE_NAME}){_APPOSITION}"),
    re.compile(
        r"(?<![\w-])(?:[Aa]nalysts?|[Ee]conomists?|[Ss]trategists?)[ \t]+at[ \t]+"
        # not where the firm comes after its town: "analysts at London brokerage Peel Hunt"
        rf"(?P<names>{_LINE_NAME})(?![\w&'\u2019-]|[ \t]+{_ORG_NOUN})"
    ),
    re.compile(rf"(?P<names>{_LINE_NAME})[ \t]+party\b"),
)
# The roles after which a name is a person's: no word that comes before a firm's or a club's.
_PERSON_ROLE_BEFORE = re.compile(
    r"(?<![\w-])(?:[Mm]inister|[Ss]ecretary|[Pp]resident|[Cc]hancellor|[Pp]remier|[Ss]enator"
    r"|[Gg]overnor|[Mm]ayor|[Cc]hair(?:man|woman)?|[Ss]pokes(?:man|woman|person)|[Ee]xecutive"
    r"|[Ff]ounder|[Dd]irector|[Cc]oach|[Cc]aptain|[Ss]triker|[Ff]orward|[Mm]idfielder"
    r"|[Dd]efender|[Gg]oalkeeper|[Gg]uard|[Ww]inger|[Bb]atsman|[Bb]owler|[Qq]uarterback"
    r"|[Pp]itcher|[Aa]ctor|[Aa]ctress|[Ss]inger|[Rr]apper|[Nn]ovelist|[Aa]uthor|[Pp]rofessor"
    r"|[Jj]udge|[Ll]awyer|[Ll]eader)[ \t]+$"
)
# An age, or "who" with a verb in the singular: a side takes the plural ("Liverpool, who are
# second"), and a company "which".
_PERSON_AFTER = re.compile(r",[ \t]+(?:(?:1[5-9]|[2-9]\d),|who[ \t]+(?:is|was|has|says|said)\b)")
_LOOK_AROUND = 40


def reads_as_person(text: str, start: int, end: int) -> bool:
    """Whether the name at `text[start:end]` follows a person's role ("minister"), or comes
    before an age or a singular "who" ("DeChambeau, 31, led", "DeChambeau, who was second")."""
    if _PERSON_AFTER.match(text, end):
        return True
    return _PERSON_ROLE_BEFORE.search(text, max(0, start - _LOOK_AROUND), start) is not None


def reads_as_team(text: str, start: int, end: int) -> bool:
    """Whether the name at `text[start:end]` stands among a match report's words."""
    if _TEAM_AFTER.match(text, end, end + _LOOK_AROUND):
        return True
    return _TEAM_BEFORE.search(text, max(0, start - _LOOK_AROUND), start) is not None


def reads_as_match_line(text: str, start: int, end: int) -> bool:
    """Whether the name at `text[start:end]` is a side in a result, a fixture or a league
    table's row: one of `match_line_sides` on its line, or either side of a "v"."""
    before = max(0, start - _LOOK_AROUND * 2)
    if _FIXTURE_HOME.match(text, end) or _FIXTURE_AWAY.search(text, before, start):
        return True
    line = _short_line_around(text, start, end)
    return line is not None and any(
        match.span(side) == (start, end)
        for pattern in _SIDE_LINES
        if (match := pattern.match(text, *line))
        for side in pattern.groupindex
    )


def _short_line_around(text: str, start: int, end: int) -> tuple[int, int] | None:
    """(start, end) of the line holding `text[start:end]`, if it is `_MAX_SIDE_LINE` long at
    most; found without reading further, so a name on a long line costs no more."""
    line_start = text.rfind("\n", max(0, start - _MAX_SIDE_LINE), start) + 1
    if line_start == 0 and start > _MAX_SIDE_LINE:
        return None
    line_end = text.find("\n", end, line_start + _MAX_SIDE_LINE + 1)
    if line_end < 0:
        line_end = len(text)
    return (line_start, line_end) if line_end - line_start <= _MAX_SIDE_LINE else None


def reads_as_race_team(text: str, start: int) -> bool:
    """Whether the name at `text[start:]` is the team in a line of a race's results."""
    return bool(
        _AFTER_ENTRANT.search(text, max(0, start - _LOOK_AROUND), start)
        and _RACE_TEAM.match(text, start)
    )


def match_line_sides(text: str) -> Iterator[tuple[int, str]]:
    """(start, name) of each side in the lines of results, fixtures and league tables of
    `text`, named or not by spaCy."""
    for line in _SIDE_LINES:
        for match in line.finditer(text):
            for side in line.groupindex:
                yield match.start(side), match[side]


def match_players(text: str) -> Iterator[tuple[int, str]]:
    """(start, name) of each player the lines of a cricket scorecard or a golf leaderboard in
    `text` name, and each scorer or bowler in brackets after a side's score in a line of
    results, named or not by spaCy."""
    for line in _PLAYER_LINES:
        for match in line.finditer(text):
            for player in line.groupindex:
                if match[player] is not None:
                    yield match.start(player), match[player]
    for line in _SIDE_LINES:
        for match in line.finditer(text):
            for scorer in _SCORER.finditer(text, *match.span()):
                yield scorer.start("scorer"), scorer["scorer"]


def introduced_organisations(text: str) -> Iterator[tuple[int, str]]:
    """(start, name) of each name `text` introduces as an organisation's by the words before
    or after it (`_INTRODUCTIONS`), named by spaCy or not."""
    for introduction in _INTRODUCTIONS:
        for match in introduction.finditer(text):
            for name in _LISTED_NAME.finditer(text, *match.span("names")):
                yield name.start(), name.group()

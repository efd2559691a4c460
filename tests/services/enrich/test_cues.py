"""What the words around a name say it is: a city's team, an organisation introduced as one."""

import pytest

from services.enrich.cues import (
    introduced_organisations,
    match_line_sides,
    match_players,
    reads_as_match_line,
    reads_as_person,
    reads_as_race_team,
    reads_as_team,
)


def read(sentence: str, name: str) -> bool:
    start = sentence.index(name)
    return reads_as_team(sentence, start, start + len(name))


def read_org(sentence: str, name: str) -> bool:
    return (sentence.index(name), name) in set(introduced_organisations(sentence))


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("They are two points clear of Liverpool, who drew 1-1 at Villa.", "Liverpool"),
        ("Bayern beat Dortmund 3-1 on Saturday.", "Dortmund"),
        ("It was a deserved win over Middlesbrough at the Racecourse Ground.", "Middlesbrough"),
        ("Wrexham 2-1 Middlesbrough: Moore header", "Wrexham"),
        ("Wrexham 2\u20131 Middlesbrough: Moore header", "Middlesbrough"),
        ("It was a first win for Celtic manager Wilfried Nancy.", "Celtic"),
        ("Dortmund's striker missed twice.", "Dortmund"),
        ("They face a tough test at home to Ipswich next weekend.", "Ipswich"),
        ("They had earlier drawn 1-1 with Aberdeen at Pittodrie.", "Aberdeen"),
        ("Chennai trail by six points.", "Chennai"),
    ],
)
def test_a_match_report_s_words_make_a_team(sentence: str, name: str) -> None:
    assert read(sentence, name)


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("The race began in Barcelona a fortnight ago.", "Barcelona"),
        ("The Mayor of London, who said nothing, left.", "London"),
        ("Protesters in Paris were arrested.", "Paris"),
        ("The EU agreed sanctions against Moscow.", "Moscow"),
        ("Tickets for Paris 2024 sold out.", "Paris"),
        ("Madrid's mayor opened the park.", "Madrid"),
    ],
)
def test_other_news_about_a_city_does_not(sentence: str, name: str) -> None:
    assert not read(sentence, name)


RESULTS = (
    "Results on Saturday:\n"
    "Arsenal 2 Chelsea 1\n"
    "Brighton & Hove Albion 3 Aston Villa 0\n"
    "Milan 1 (Leao 55) Paris St Germain 2 (Dembele 31, Doue 79)\n"
    "Playing Sunday: Everton v Liverpool, Leeds vs. Sunderland\n"
    "Sunderland v Fulham\n"
    "3. Manchester City 24 15 4 5 51 26 49\n"
    "8. Fernando Alonso (Spain) Aston Martin +48.190\n"
    "Tickets for Paris 2024 sold out in 2 hours.\n"
    "Scottie Scheffler 68 70 67 69 274"
)


@pytest.mark.parametrize(
    "name",
    [
        "Arsenal",
        "Chelsea",
        "Brighton & Hove Albion",
        "Aston Villa",
        "Milan",
        "Paris St Germain",
        "Everton",
        "Liverpool",
        "Leeds",
        "Sunderland",
        "Manchester City",
    ],
)
def test_a_side_in_a_line_of_results_or_a_fixture_reads_as_a_team(name: str) -> None:
    start = RESULTS.index(name)
    assert reads_as_match_line(RESULTS, start, start + len(name))


@pytest.mark.parametrize(
    ("context", "name"),
    [
        ("for Paris 2024", "Paris"),
        ("Scheffler", "Scheffler"),
        ("Saturday", "Saturday"),
        ("Fernando Alonso", "Fernando Alonso"),
        ("Dembele", "Dembele"),
    ],
)
def test_a_name_beside_numbers_elsewhere_does_not(context: str, name: str) -> None:
    start = RESULTS.index(context) + context.index(name)
    assert not reads_as_match_line(RESULTS, start, start + len(name))


def test_the_team_in_a_line_of_a_race_s_results_reads_as_one() -> None:
    assert reads_as_race_team(RESULTS, RESULTS.index("Aston Martin"))
    assert not reads_as_race_team(RESULTS, RESULTS.index("Fernando Alonso"))


def test_the_sides_of_each_line_of_sides_and_numbers_are_found_by_their_place_on_it() -> None:
    sides = list(match_line_sides(RESULTS))
    assert [name for _, name in sides] == [
        "Arsenal",
        "Chelsea",
        "Brighton & Hove Albion",
        "Aston Villa",
        "Milan",
        "Paris St Germain",
        "Sunderland",
        "Fulham",
        "Manchester City",
    ]
    assert all(RESULTS[start : start + len(name)] == name for start, name in sides)


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("The streaming service Mubi said on Sunday that it had won.", "Mubi"),
        ("Pressure came from the Chinese online retailers Shein and Temu.", "Temu"),
        ("Shares in exporters such as Toyota, Nintendo and Sony rose.", "Sony"),
        ("Shares in exporters such as Toyota, Nintendo and Sony rose.", "Toyota"),
        ("Stagnaro told the newspaper Clarin that the episodes were ready.", "Clarin"),
        ("OpenAI, the maker of ChatGPT, has raised more.", "OpenAI"),
        ("Emirates, Dubai's state-owned airline, carried 55 million.", "Emirates"),
        ("Petroineos, a joint venture between Ineos and PetroChina, said so.", "Petroineos"),
        ("Rates were cut by lenders including Barclays and Santander.", "Santander"),
        ("Analysts at Goodbody, the Dublin stockbroker, said so.", "Goodbody"),
        ("So said Priya Raman, an economist at Westpac.", "Westpac"),
        ("Tickets for the Irish band Fontaines D.C. sold out.", "Fontaines D.C."),
        ("Rumours named the Irish band U2.", "U2"),
        ("The populist Sanseito party gained seats.", "Sanseito"),
        ("Orban, whose Fidesz party has governed since 2010, spoke.", "Fidesz"),
        ("Analysts at London brokerage Peel Hunt said so.", "Peel Hunt"),
        ("Analysts at the consultancy Wood Mackenzie said so.", "Wood Mackenzie"),
        ("The public broadcaster NHK projected a win.", "NHK"),
    ],
)
def test_an_organisation_introduced_as_one(sentence: str, name: str) -> None:
    assert read_org(sentence, name)


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("The Iranian film-maker Jafar Panahi won the Palme d'Or.", "Jafar Panahi"),
        ("Smith, the company's chief executive, said profits rose.", "Smith"),
        ("Jones, a former bank manager, said little.", "Jones"),
        ("Lee, the group chairman, resigned.", "Lee"),
        ("Roman Abramovich, the owner of Chelsea, sold the club.", "Roman Abramovich"),
        ("The veteran broadcaster David Attenborough turned 99.", "David Attenborough"),
        ("Chris Martin, the band's frontman, sang.", "Chris Martin"),
        ("Paris, the French capital, was hot.", "Paris"),
        ("The company said Monday that it had won.", "Monday"),
        ("The company\n\nMonday came.", "Monday"),  # a name is on the noun's line
        ("The Labour Party said no.", "Labour"),  # a party's own name
        # the firm's town or nation before its noun
        ("Analysts at London brokerage Peel Hunt said so.", "London"),
        ("Economists at Dutch bank ING expect a cut.", "Dutch"),
        # who said what, after the name: no apposition
        ("Sales rose 5% in Germany, the company said on Monday.", "Germany"),
        ("Profits fell in France, the firm added.", "France"),
        ("The film was written by Maria Lopez, the studio told Reuters.", "Maria Lopez"),
    ],
)
def test_a_person_or_place_beside_an_organisation_noun_is_not_one(sentence: str, name: str) -> None:
    assert not read_org(sentence, name)


def test_the_sides_of_a_cricket_scorecard_s_lines_are_found() -> None:
    card = (
        "Scores on the first day of four-day county matches:\n"
        "At The Oval: Surrey 298-6 (A. Stewart 88, G. Butcher 61) v Warwickshire.\n"
        "At Chester-le-Street: Durham 212 (J. Morris 72; A. Kumble 4-61) v Northamptonshire 45-1."
    )
    sides = [name for _, name in match_line_sides(card)]
    assert sides == ["Surrey", "Warwickshire", "Durham", "Northamptonshire"]


SCORECARD = """Zimbabwe first innings
G. Flower c Crawley b Gough 7
A. Flower not out 26
Saeed Anwar lbw b Ambrose 18 41 2 0
M. Atherton c & b Streak 13
A. Stewart st A. Flower b Strang 35*
Ijaz Ahmed run out (Jones) 44
Aravinda de Silva b McGrath 52
Extras (lb-4 nb-2) 6
Total (for 4 wickets) 107
Fall of wickets: 1-15 2-40
Bowling: Gough 10-2-30-1 (1nb), Mullally 8.3-3-15-0, Wasim Akram 20-5-61-3.
Gough said the pitch was slow.
"""


def test_a_scorecard_names_its_batsmen_fielders_and_bowlers() -> None:
    players = list(match_players(SCORECARD))
    assert [name for _, name in players] == [
        "G. Flower",
        "Crawley",
        "Gough",
        "A. Flower",
        "Saeed Anwar",
        "Ambrose",
        "M. Atherton",
        "Streak",
        "A. Stewart",
        "A. Flower",
        "Strang",
        "Ijaz Ahmed",
        "Aravinda de Silva",
        "McGrath",
        "Gough",
        "Mullally",
        "Wasim Akram",
    ]
    assert all(SCORECARD[start : start + len(name)] == name for start, name in players)


def test_prose_and_other_numbers_name_no_player() -> None:
    prose = "Gough took 4-30 in 10 overs. On 1996-12-18, Stewart made 35 not out of 107."
    assert list(match_players(prose)) == []


def test_scorers_and_bowlers_in_brackets_after_a_sides_score_are_players() -> None:
    card = (
        "At The Oval: Surrey 298-6 (A. Stewart 88, G. Butcher 61) v Warwickshire.\n"
        "Milan 1 (Leao 55) Paris St Germain 2 (Dembele 31, Kvaratskhelia 78 pen)\n"
        "The bill (Section 5) was passed (Channel 4, 12)."
    )
    players = {name for _, name in match_players(card)}
    assert players == {"A. Stewart", "G. Butcher", "Leao", "Dembele", "Kvaratskhelia"}


def test_a_match_summarys_line_gives_its_sides_and_scorers() -> None:
    line = (
        "Ajax Amsterdam 2 (Kluivert 23, Litmanen 67 pen) Feyenoord 1 (Van Gastel 55). "
        "Halftime 1-0. Attendance 45,000.\n"
    )
    assert [name for _, name in match_line_sides(line)] == ["Ajax Amsterdam", "Feyenoord"]
    players = [name for _, name in match_players(line)]
    assert players == ["Kluivert", "Litmanen", "Van Gastel"]


def test_a_leaderboards_golfers_are_players() -> None:
    board = (
        "Leading scores after the third round (Australia unless stated):\n"
        "205 Greg Norman 67 68 70\n"
        "209 Ernie Els (South Africa) 70 70 69, Wayne Riley 71 69 69\n"
        "Norman shot 67 on Thursday and 68 on Friday.\n"
    )
    players = [name for _, name in match_players(board)]
    assert players == ["Greg Norman", "Ernie Els", "Wayne Riley"]


def test_a_row_of_standings_gives_its_team() -> None:
    standings = (
        "Eastern Conference\n"
        "W L Pct GB\n"
        "Boston 42 15 .737 -\n"
        "New York 38 20 .655 4 1/2\n"
        "Philadelphia 30 27 .526 12\n"
    )
    teams = [name for _, name in match_line_sides(standings)]
    assert teams == ["Boston", "New York", "Philadelphia"]


@pytest.mark.parametrize(
    ("sentence", "name", "expected"),
    [
        ("Telecoms minister Jyotiraditya Scindia said so.", "Jyotiraditya Scindia", True),
        ("Their star guard Tyrese Haliburton fell.", "Tyrese Haliburton", True),
        ("Striker Harry Kane scored twice.", "Harry Kane", True),
        ("The asset manager BlackRock sold.", "BlackRock", False),
        ("The defending champion Real Madrid lost.", "Real Madrid", False),
        ("Shares in rival BCE fell.", "BCE", False),
        ("The minister of Scindia Holdings spoke.", "Scindia Holdings", False),
        ("Bryson DeChambeau, 31, faded to fifth.", "Bryson DeChambeau", True),
        ("Bryson DeChambeau, who was second, faded.", "Bryson DeChambeau", True),
        ("Leicestershire, who were second, faded.", "Leicestershire", False),
        ("Shares in Glencore, 4% up, led.", "Glencore", False),
        ("Glencore, which rose 4%, led.", "Glencore", False),
    ],
)
def test_a_person_s_role_before_a_name_or_an_age_after_it(
    sentence: str, name: str, expected: bool
) -> None:
    start = sentence.index(name)
    assert reads_as_person(sentence, start, start + len(name)) is expected

"""The newsroom sections the tagger's topics are judged by, and which IPTC topics fall in each.

Five sections, as most newsrooms and news-classification benchmarks split their output. Each of
the 17 top-level IPTC Media Topics goes to the one whose editors would most often run it: hard
news (conflict, crime, disasters, society, education, religion) to politics; health, the
environment and weather to science and technology, as wire services file them; labour to
business; human interest and lifestyle to arts and entertainment. A second-level topic goes
where its parent goes.
"""

from __future__ import annotations

from typing import Final, Literal

from services.enrich.topics import vocabulary

Section = Literal["business", "arts/entertainment", "politics", "sport", "science/technology"]

SECTIONS: Final[tuple[Section, ...]] = (
    "business",
    "arts/entertainment",
    "politics",
    "sport",
    "science/technology",
)

SECTION_OF_TOPIC: Final[dict[str, Section]] = {
    "medtop:01000000": "arts/entertainment",  # arts, culture, entertainment and media
    "medtop:02000000": "politics",  # crime, law and justice
    "medtop:03000000": "politics",  # disaster, accident and emergency incident
    "medtop:04000000": "business",  # economy, business and finance
    "medtop:05000000": "politics",  # education
    "medtop:06000000": "science/technology",  # environment
    "medtop:07000000": "science/technology",  # health
    "medtop:08000000": "arts/entertainment",  # human interest
    "medtop:09000000": "business",  # labour
    "medtop:10000000": "arts/entertainment",  # lifestyle and leisure
    "medtop:11000000": "politics",  # politics
    "medtop:12000000": "politics",  # religion
    "medtop:13000000": "science/technology",  # science and technology
    "medtop:14000000": "politics",  # society
    "medtop:15000000": "sport",  # sport
    "medtop:16000000": "politics",  # conflict, war and peace
    "medtop:17000000": "science/technology",  # weather
}


def top_level(code: str) -> str:
    """The top-level topic of `code`: itself, or its parent in the shipped vocabulary."""
    vocab = vocabulary()
    for entry in vocab.topics:
        if entry.code == code:
            return entry.parent or code
    raise KeyError(code)


def section_of(code: str) -> Section:
    """The newsroom section of any topic code the tagger can give."""
    return SECTION_OF_TOPIC[top_level(code)]

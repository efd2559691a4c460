"""Text written with every token apart, as corpora give it, written as it was published.

"Elon Musk 's SpaceX , the rocket maker ( founded 2002 ) ." becomes "Elon Musk's SpaceX, the
rocket maker (founded 2002)." before anything reads it. spaCy then tags the words it tags in the
published form, names come out as written ("European People's Party", not "European People 's
Party"), and the rules that read the words around a name ("Liverpool, who", "Dortmund's
striker", "6. Newcastle", "CAPE TOWN, South Africa (AP) —") need one form only.

Published text is left as it is: it does not set these apart from their words.
"""

from __future__ import annotations

import re

_SPACE_APART = re.compile(
    # before a possessive: "Musk 's", "Heroes ' Square"
    r"(?<=\w)[ \t]+(?=['\u2019]s\b)|(?<=s)[ \t]+(?=['\u2019](?:\s|$))"
    # before closing punctuation ending a word: "Housing ,", "Bros .", "( AP )", "Results :"
    r"|(?<=\S)[ \t]+(?=[,.;:!?)\]]+(?:\s|$))"
    # after an opening bracket: "( AP"
    r"|(?<=[(\[])[ \t]+(?=\S)"
)


def attach_punctuation(text: str) -> str:
    """`text` with no space between a word and a possessive or punctuation that closes it, nor
    after an opening bracket."""
    return _SPACE_APART.sub("", text)

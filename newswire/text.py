"""Text helpers both services share: cutting text without cutting a word, possessive endings."""

import re


def cut_at_word(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, without the word the limit would cut in two (a
    keyword "Drug Administ", a name "Angela Mer"); text with no space before the limit is cut
    where the limit falls."""
    if len(text) <= limit or text[limit].isspace():
        return text[:limit]
    head = text[:limit]
    end = max(head.rfind(" "), head.rfind("\n"))
    return head[:end] if end > 0 else head


_POSSESSIVE = re.compile("(?<=\\w)['\u2019]s$|(?<=s)['\u2019]$")


def without_possessive(word: str) -> str:
    """`word` without its possessive ending: "Russia's" is "Russia", "Jones'" is "Jones"."""
    return _POSSESSIVE.sub("", word)

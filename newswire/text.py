"""Cutting text to a length without cutting a word in two."""


def cut_at_word(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, without the word the limit would cut in two (a
    keyword "Drug Administ", a name "Angela Mer"); text with no space before the limit is cut
    where the limit falls."""
    if len(text) <= limit or text[limit].isspace():
        return text[:limit]
    head = text[:limit]
    end = max(head.rfind(" "), head.rfind("\n"))
    return head[:end] if end > 0 else head

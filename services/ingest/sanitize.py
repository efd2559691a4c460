"""Feed HTML to readable plain text: the only form in which feed markup leaves ingest.

The HTML is parsed by lexbor (through selectolax), a spec-following HTML5 parser, so entities,
broken markup and comments are handled as a browser would. Scripts, styles and other non-content
elements are dropped with their content; block elements and `<br><br>` become paragraph breaks,
and a single `<br>` a line break. Nothing of the markup survives, so there is nothing left to
sanitize downstream. A text without any tag is plain text, whose line breaks stay.
"""

import html
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Markers put into the tree where breaks belong, so that one `text()` call (C speed) collects the
# text; private-use characters, removed from the input first, so a page cannot fake one. Control
# characters, which XML forbids and lenient parsing lets through, go too. A regular expression
# removes them: `str.translate` looks every character of a non-ASCII text up in its table, 20
# times slower, and most feeds' text has a curly quote or an accent somewhere.
_PARAGRAPH = "\ue000"
_LINE = "\ue001"
_CONTROLS = "".join(chr(code) for code in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_REMOVED = re.compile(f"[{re.escape(_PARAGRAPH + _LINE + _CONTROLS)}]")
# Line breaks with nothing but blanks between them (`<br><br>`) are how many editors part
# paragraphs.
_BLANK_LINES = re.compile(f"{_LINE}(?:\\s*{_LINE})+")

_DROPPED = [
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
    "head", "title", "select", "button", "textarea", "audio", "video", "canvas", "map",
]  # fmt: skip
_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog",
     "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
     "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "menu", "nav", "ol", "p",
     "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul"}
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_MARKUP_MARKS = re.compile(r"</[A-Za-z]|<[A-Za-z][\w-]*\s+[\w-]+\s*=")

# lexbor's tree builder is quadratic in nesting depth for block elements (a 20,000-deep
# `<blockquote>` takes seconds), as the HTML standard's scope checks are; browsers cap the depth,
# lexbor does not. A field's markup is cut at this many tags, which bounds a hostile item at about
# a tenth of a second while no real article comes near it.
MAX_TAGS = 5000


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: a blank line between paragraphs, whitespace collapsed.

    Some feeds escape their markup twice (`&amp;lt;p&amp;gt;`, or `&lt;p&gt;` inside CDATA), so
    its first reading is markup again. A text that begins with a tag and shows markup's marks, a
    closing tag (`</p>`) or an attribute (`<img src=`), is read once more: prose that names tags
    ("<video> tag support lands in Firefox", "<dialog> vs <details>") has neither. Once more
    only: what is left after that is the publisher's text.
    """
    text = _text_of(markup)
    if text.startswith("<") and _MARKUP_MARKS.search(text):
        tree = _parsed(text)
        if tree.body is not None and next(tree.body.iter(), None) is not None:
            return _text_of_tree(tree)
    return text


def _text_of(markup: str) -> str:
    markup = _REMOVED.sub("", markup)
    if "<" not in markup:
        # No markup at all: plain text (feedparser calls every RSS description HTML), whose line
        # breaks are the writer's: a video's chapter list, an address.
        # References can make markers again; without any, the markers are gone already.
        return plain_text(html.unescape(markup)) if "&" in markup else _paragraphs_of(markup)
    return _text_of_tree(_parsed(markup))


def _parsed(markup: str) -> LexborHTMLParser:
    # With scripting on, as in a browser, `<noscript>` holds raw text and goes with its element.
    return LexborHTMLParser(_first_tags(markup, MAX_TAGS), scripting=True)


def _text_of_tree(tree: LexborHTMLParser) -> str:
    tree.strip_tags(_DROPPED, recursive=True)
    body = tree.body
    if body is None:
        return ""
    # Collected before the tree changes: lexbor's traversal does not survive edits under its feet.
    for node in list(body.traverse()):
        _mark_breaks(node)
    return _collapse(body.text())


def plain_text(text: str) -> str:
    """Text that is plain already, tidied as `html_to_text` tidies: blank lines part paragraphs."""
    return _paragraphs_of(_REMOVED.sub("", text))


def _paragraphs_of(text: str) -> str:
    """`plain_text` of a text without markers."""
    lines = text.splitlines()
    if len(lines) < 2:  # a title, most descriptions: one line, nothing to part
        return " ".join(text.split())
    return _collapse(_LINE.join(line if line.strip() else _PARAGRAPH for line in lines))


def _mark_breaks(node: LexborNode) -> None:
    tag = node.tag
    if tag in _BLOCKS:
        node.insert_before(_PARAGRAPH)
        node.insert_after(_PARAGRAPH)
        if tag == "pre":
            _keep_line_breaks(node)
    elif tag == "br":
        node.insert_after(_LINE)
    elif tag in _CELLS:
        node.insert_after(" ")


def _keep_line_breaks(pre: LexborNode) -> None:
    for node in [node for node in pre.traverse(include_text=True) if node.is_text_node]:
        if "\n" in (text := node.text_content or ""):
            node.replace_with(text.replace("\n", _LINE))


def _collapse(text: str) -> str:
    paragraphs = []
    for block in _BLANK_LINES.sub(_PARAGRAPH, text).split(_PARAGRAPH):
        lines = (" ".join(line.split()) for line in block.split(_LINE))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _first_tags(markup: str, limit: int) -> str:
    """`markup` up to its `limit`-th tag; counting `<` over-counts tags, erring on the safe side."""
    if markup.count("<") <= limit:
        return markup
    cut = -1
    for _ in range(limit + 1):
        cut = markup.find("<", cut + 1)
    return markup[:cut]

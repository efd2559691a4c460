import time

import pytest

from services.ingest.sanitize import MAX_TAGS, html_to_text, plain_text


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>Line<br>break</div>", "Line\nbreak"),
        ("<ul><li>a</li><li>b</li></ul>after", "a\n\nb\n\nafter"),
        ("<h2>Head</h2>text <b>bold</b> <i>it</i>", "Head\n\ntext bold it"),
        (
            "Fish &amp; chips &lt;cheap&gt; &eacute;t&eacute; &#8212; &#x2603;",
            "Fish & chips <cheap> été — ☃",
        ),
        ("a&nbsp;b", "a b"),
        ("  lots \n of\t\tspace  ", "lots\nof space"),  # no markup: plain, lines are lines
        ("Chapters:\n0:00 Intro\n\n\nFish &amp; chips", "Chapters:\n0:00 Intro\n\nFish & chips"),
        ("<b>Markup</b>: lines\nare  spaces", "Markup: lines are spaces"),
        ("One.<br /><br />Two.<br>Three.<br> <br/>\n<br>Four.", "One.\n\nTwo.\nThree.\n\nFour."),
        ("<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>", "1 2\n\n3"),
        ("<pre>x = 1\n    y = 2</pre>", "x = 1\ny = 2"),
        ("<p>unclosed <b>bold<p>next", "unclosed bold\n\nnext"),
        ("<p>a</p></div></body></html><p>b</p>", "a\n\nb"),
        ("", ""),
        ("<!-- only a comment -->", ""),
        ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"),
    ],
)
def test_html_becomes_readable_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two &amp;amp; three&lt;/p&gt;", "One\n\nTwo & three"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;visible&lt;/b&gt;", "visible"),
        # Escaped three times: read twice, and what is left is the publisher's text.
        ("&amp;lt;p&amp;gt;x&amp;lt;/p&amp;gt;", "&lt;p&gt;x&lt;/p&gt;"),
        # Text that begins with "<" but no element.
        ("&lt;3 from the team", "<3 from the team"),
        ("&lt;&lt; back", "<< back"),
        # Prose that begins with a tag it names, escaped once as it should be.
        ("&lt;video&gt; tag support lands in Firefox", "<video> tag support lands in Firefox"),
        ("<p>&lt;b&gt; vs &lt;strong&gt;: which to use</p>", "<b> vs <strong>: which to use"),
        ("&lt;dialog&gt; vs &lt;details&gt;", "<dialog> vs <details>"),
        # Markup escaped twice that ends with an element of no text, or with text.
        ('&lt;p&gt;Hi there&lt;/p&gt;&lt;img src="x.gif" width="1"/&gt;', "Hi there"),
        ("&lt;p&gt;Hi there&lt;/p&gt; Read more", "Hi there\n\nRead more"),
        ('&lt;img src="x.gif"&gt;&lt;br&gt;Caption', "Caption"),
    ],
)
def test_markup_escaped_twice_is_read_as_markup(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert('x')</script>visible",
        "<style>p { color: red }</style>visible",
        "<noscript>enable js</noscript><iframe src=x>frame</iframe>visible",
        "<svg><text>drawn</text></svg><template><p>later</p></template>visible",
        "<img src=x onerror=alert(1)>visible<object>obj</object>",
        "<head><title>page title</title></head><body>visible</body>",
        "<a href=x><img src=x.jpg></a><title>a title inside the text</title>visible",
    ],
)
def test_non_content_is_dropped_with_its_text(markup: str) -> None:
    assert html_to_text(markup) == "visible"


def test_control_and_marker_characters_never_survive() -> None:
    text = html_to_text("<p>a\x01b\x1b[31m\ue000c\ue001d</p>")
    assert text == "ab[31mcd"
    assert plain_text("x\x00y\x7f") == "xy"
    assert plain_text("“café”\x1f\ue001 crème") == "“café” crème"  # non-ASCII text too


def test_plain_text_keeps_paragraphs_and_lines() -> None:
    assert plain_text("First  line\nsecond line\n\n\n  Next para \r\n\r\nLast") == (
        "First line\nsecond line\n\nNext para\n\nLast"
    )
    assert plain_text("a <b> is not markup here") == "a <b> is not markup here"


def test_deep_nesting_is_bounded() -> None:
    # lexbor's tree building is quadratic in depth for these; the tag cap keeps it short.
    started = time.monotonic()
    html_to_text("<blockquote>" * 100_000 + "deep")
    html_to_text("<div>" * 100_000 + "deep")
    assert time.monotonic() - started < 2


def test_long_flat_documents_keep_their_first_tags() -> None:
    markup = "".join(f"<p>{n}</p>" for n in range(MAX_TAGS))
    text = html_to_text(markup)
    assert text.startswith("0\n\n1\n\n") and "2499" in text and str(MAX_TAGS - 1) not in text

import time
from pathlib import Path

import pytest

from newswire.errors import ConfigError
from services.ingest.feeds import FeedConfig, derived_name, load_feeds


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_feeds_with_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "feeds.yaml",
        """
feeds:
  - url: https://www.example.com/news/rss/
  - url: https://blog.example.org/atom.xml
    name: Example blog
    interval: 600
    enabled: false
    headers:
      Authorization: Bearer token
""",
    )
    first, second = load_feeds(path)
    assert first == FeedConfig(url="https://www.example.com/news/rss/", name="example.com/news/rss")
    assert (first.interval, first.enabled, first.headers) == (None, True, {})
    assert second.name == "Example blog" and second.interval == 600.0 and not second.enabled
    assert second.headers == {"Authorization": "Bearer token"}


def test_yml_suffix_and_empty_list(tmp_path: Path) -> None:
    assert load_feeds(write(tmp_path, "feeds.yml", "feeds: []\n")) == []
    assert load_feeds(write(tmp_path, "null.yaml", "feeds:\n")) == []


def test_an_entry_may_override_what_it_merges(tmp_path: Path) -> None:
    text = """feeds:
  - &slow {url: https://a.example/rss, interval: 3600, headers: {X-Api-Key: k}}
  - {<<: *slow, url: https://b.example/rss, interval: 60}
"""
    first, second = load_feeds(write(tmp_path, "feeds.yaml", text))
    assert (first.url, first.interval) == ("https://a.example/rss", 3600.0)
    assert (second.url, second.interval) == ("https://b.example/rss", 60.0)
    assert second.headers == {"X-Api-Key": "k"}


def test_defaults_for_entries_to_merge_live_under_an_x_key(tmp_path: Path) -> None:
    text = """x-defaults: &defaults {interval: 3600, headers: {X-Api-Key: k}}
feeds:
  - {<<: *defaults, url: https://a.example/rss}
  - {<<: *defaults, url: https://b.example/rss, interval: 60}
"""
    first, second = load_feeds(write(tmp_path, "feeds.yaml", text))
    assert (first.url, first.interval, first.headers) == (
        "https://a.example/rss",
        3600.0,
        {"X-Api-Key": "k"},
    )
    assert (second.url, second.interval) == ("https://b.example/rss", 60.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds:\n  - url: ftp://x.example/feed\n", r"feeds\[0\] \(line 2\): url: .*http"),
        ("feeds:\n  - name: no url\n", r"feeds\[0\] \(line 2\): url: Field required"),
        (
            "feeds:\n  - url: https://a.example/\n  - url: https://b.example/\n"
            "    interval: 60\n    url: https://c.example/\n",
            r"line 5: key 'url' is given twice",
        ),
        ("feeds:\n  - url: https://a.example/\nfeeds: []\n", "line 3: key 'feeds' is given twice"),
        ("feeds:\n  - url: https://x.example/\n    intervall: 5\n", "intervall"),
        ("feeds:\n  - url: https://x.example/\n    interval: -5\n", "interval"),
        ("feeds:\n  - url: https://x.example:99999/\n", "Port"),
        ("feeds:\n  - https://x.example/\n", "expected a mapping"),
        ("feeds: https://x.example/\n", "must be a list"),
        ("feed:\n  - url: https://x.example/\n", "one key, `feeds:`"),
        ("defaults: {interval: 60}\nfeeds: []\n", "one key, `feeds:`"),
        ("x-defaults: {interval: 60}\n", "one key, `feeds:`"),
        ("", "one key"),
        ("feeds:\n  - url: [unclosed\n", r"not valid YAML: line \d+: did not find expected"),
        (
            "feeds:\n  - url: https://a.example/\n    name: Same\n"
            "  - url: https://b.example/\n    name: Same\n",
            "two feeds named 'Same'",
        ),
        ("feeds:\n  - url: https://a.example/\n  - url: https://a.example/\n", "listed twice"),
        (
            "feeds:\n  - url: https://a.example/\n    headers: {Host: evil.example}\n",
            "set by the fetcher",
        ),
        (
            "feeds:\n  - url: https://a.example/\n    headers: {'Bad Name': x}\n",
            "not a valid header name",
        ),
        (
            'feeds:\n  - url: https://a.example/\n    headers: {X-A: "a\\r\\nInjected: 1"}\n',
            "not printable ASCII",
        ),
        # httpx sends header values as ASCII: each poll would fail as an internal error.
        ('feeds:\n  - url: https://a.example/\n    headers: {X-A: "café"}\n', "printable ASCII"),
        ('feeds:\n  - url: "https://a.example/f\\n3.xml"\n', "url: .*control character"),
        ("feeds:\n  - url: https://exa mple.com/rss\n", "url: .*space in its host"),
        ("feeds:\n  - url: http://0177.0.0.1/rss\n", "url: .*Invalid IPv4 address"),
        ("feeds:\n  - url: https://user:s3cret@a.example/rss\n", "url: .*credentials"),
        ("feeds:\n  - url: https://a.example/\n    interval: .inf\n", "interval: .*finite"),
        ("feeds:\n  - url: https://a.example/\n    interval: true\n", "interval: .*seconds"),
        ('feeds:\n  - url: https://a.example/\n    name: "a\\tb"\n', "name: .*control"),
        ("feeds:\n  - url: https://a.example/\n    name: " + "n" * 201 + "\n", "name: .*200"),
    ],
)
def test_invalid_yaml_names_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "feeds.yaml", text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_feeds(path)
    assert str(path) in str(caught.value)


def test_every_problem_of_a_list_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        "feeds:\n"
        "  - url: https://good.example/rss\n"
        "  - url: ftp://a.example/feed\n"
        "    interval: -5\n"
        "  - name: no url\n"
        "  - url: https://good.example/rss\n"
    )
    path = write(tmp_path, "feeds.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_feeds(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: 4 problems:"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "  feeds[1] (line 3)",
        "  feeds[1] (line 3)",
        "  feeds[2] (line 5)",
        "  https",
    ]
    assert "url" in lines[1] and "interval" in lines[2] and "Field required" in lines[3]
    assert "https://good.example/rss is listed twice" in lines[4]


def test_a_long_list_of_problems_is_cut_short(tmp_path: Path) -> None:
    entries = "".join(f"  - url: ftp://{n}.example/\n" for n in range(30))
    with pytest.raises(ConfigError) as caught:
        load_feeds(write(tmp_path, "feeds.yaml", f"feeds:\n{entries}"))
    lines = str(caught.value).splitlines()
    assert lines[0].endswith(": 30 problems:")
    assert lines[1].startswith("  feeds[0] (line 2): url:")
    assert lines[-1] == "  and 10 more"
    assert len(lines) == 22


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="News">
      <outline type="rss" text="Daily" title="The Daily" xmlUrl="https://daily.example/rss"
               htmlUrl="https://daily.example/"/>
      <outline text="Nested">
        <outline type="rss" text="Deep feed" xmlurl="https://deep.example/feed.xml"/>
      </outline>
    </outline>
    <outline text="Tech">
      <outline type="rss" text="Daily again" xmlUrl="https://daily.example/rss"/>
      <outline type="rss" title="The Daily" xmlUrl="https://other.example/daily"/>
      <outline type="rss" xmlUrl="https://untitled.example/feed/"/>
    </outline>
  </body>
</opml>
"""


def test_opml_nested_outlines(tmp_path: Path) -> None:
    feeds = load_feeds(write(tmp_path, "subs.opml", OPML))
    assert [(feed.name, feed.url) for feed in feeds] == [
        ("The Daily", "https://daily.example/rss"),
        ("Deep feed", "https://deep.example/feed.xml"),  # lower-case xmlurl, as some write it
        ("The Daily (other.example/daily)", "https://other.example/daily"),
        ("untitled.example/feed", "https://untitled.example/feed/"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<opml><body><outline xmlUrl='https://a.example/'>", "not well-formed"),
        ("<html><body/></html>", "not OPML"),
        ("<opml><head/></opml>", "not OPML"),
        ("<opml><body><outline text='x' xmlUrl='javascript:alert(1)'/></body></opml>", "url"),
        # Without a title, a URL that cannot be read named the feed: a traceback, not an error.
        ("<opml><body><outline xmlUrl='https://p.example:99999/rss'/></body></opml>", "Port"),
        ("<opml><body><outline xmlUrl='http://[::1/rss'/></body></opml>", "IPv6"),
    ],
)
def test_invalid_opml_names_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "subs.opml", text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_feeds(path)
    assert str(path) in str(caught.value)


def test_every_bad_outline_of_an_export_is_reported_at_once(tmp_path: Path) -> None:
    outlines = (
        "<outline text='Good' xmlUrl='https://good.example/rss'/>"
        "<outline text='Script' xmlUrl='javascript:alert(1)'/>"
        "<outline text='Port' xmlUrl='https://p.example:99999/rss'/>"
    )
    with pytest.raises(ConfigError) as caught:
        load_feeds(write(tmp_path, "subs.opml", f"<opml><body>{outlines}</body></opml>"))
    lines = str(caught.value).splitlines()
    assert lines[0].endswith(": 2 problems:")
    assert lines[1].startswith("  outline 'Script': url:")
    assert lines[2].startswith("  outline 'Port': url:")


def test_opml_entity_bomb_is_refused_unexpanded(tmp_path: Path) -> None:
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    text = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY l0 "lol">{laughs}]>'
        "<opml><body><outline text='&l9;' xmlUrl='https://a.example/'/></body></opml>"
    )
    started = time.monotonic()
    with pytest.raises(ConfigError, match="entities"):
        load_feeds(write(tmp_path, "bomb.opml", text))
    assert time.monotonic() - started < 1


def test_opml_external_entity_is_refused(tmp_path: Path) -> None:
    text = (
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<opml><body><outline text='&x;' xmlUrl='https://a.example/'/></body></opml>"
    )
    with pytest.raises(ConfigError, match="entities") as caught:
        load_feeds(write(tmp_path, "xxe.opml", text))
    assert "root:" not in str(caught.value)


def test_one_site_s_feeds_exported_under_one_title_get_a_name_each(tmp_path: Path) -> None:
    outlines = "".join(
        f'<outline text="News"><outline text="Example News" xmlUrl="{url}"/></outline>'
        for url in (
            "http://example.com/rss",
            "https://example.com/rss",
            "https://www.example.com/rss",
        )
    ) + "".join(
        f'<outline xmlUrl="{url}"/>' for url in ("http://a.example/f", "https://a.example/f")
    )
    feeds = load_feeds(write(tmp_path, "subs.opml", f"<opml><body>{outlines}</body></opml>"))
    assert [feed.name for feed in feeds] == [
        "Example News",
        "Example News (example.com/rss)",
        "Example News (https://www.example.com/rss)",
        "a.example/f",
        "https://a.example/f",
    ]


def test_an_exported_xml_file_is_opml_whatever_the_case_of_its_suffix(tmp_path: Path) -> None:
    for name in ("Inoreader Subscriptions.xml", "SUBS.OPML", "feeds.opml.xml"):
        assert len(load_feeds(write(tmp_path, name, OPML))) == 4


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.yaml, \.yml, \.opml or \.xml"):
        load_feeds(write(tmp_path, "feeds.txt", "feeds: []"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_feeds(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://www.example.com/", "example.com"),
        ("http://example.com:8080/feeds/all.atom.xml", "example.com:8080/feeds/all.atom.xml"),
        ("https://example.com/?feed=rss2", "example.com?feed=rss2"),
        # A name is a metric label: a key in the query is no part of it.
        ("https://a.example/rss?api_key=s3cret&cat=world", "a.example/rss?api_key=…&cat=world"),
        ("https://a.example/rss?Token=s3cret&flag", "a.example/rss?Token=…&flag"),
    ],
)
def test_derived_names(url: str, name: str) -> None:
    assert derived_name(url) == name


def test_an_exported_feed_s_name_keeps_no_key_of_its_url(tmp_path: Path) -> None:
    outlines = "".join(
        f'<outline xmlUrl="{url}"/>'
        for url in ("http://k.example/f?key=1", "https://k.example/f?key=2")
    )
    feeds = load_feeds(write(tmp_path, "subs.opml", f"<opml><body>{outlines}</body></opml>"))
    assert [feed.name for feed in feeds] == ["k.example/f?key=…", "https://k.example/f?key=…"]

"""The manifest generator's output format (resolving with Maven is left to its users)."""

from importlib import resources

from newswire.broker.jars import Jar, load_manifest, manifest_name, parse_manifest
from newswire.broker.lock import render

SHA = "0" * 64


def test_render_is_parsed_back() -> None:
    jars = [Jar("org.example", "a", "1.0", SHA), Jar("org.example", "b", "2.0", "f" * 64)]

    assert parse_manifest(render(jars, "9.9.9")) == jars


def test_the_shipped_manifest_is_exactly_what_the_generator_writes() -> None:
    shipped = (resources.files("newswire.broker") / manifest_name()).read_text(encoding="utf-8")

    assert render(load_manifest()) == shipped

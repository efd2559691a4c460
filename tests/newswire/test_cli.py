"""The command line end to end on the real broker: what a person types, what they get back."""

import gc
import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswire.cli import cli
from newswire.lifecycle import GIL_SWITCH_INTERVAL, YOUNG_COLLECTION_THRESHOLD
from services.enrich.settings import EnrichSettings
from tests.conftest import REPO, free_port

SEEDS = REPO / "seeds"
NO_KAFKA_ENV = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}


def newswire(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newswire", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_ingest_enrich_tail_gives_the_seed_article_enriched(service_env: dict[str, str]) -> None:
    ingest = newswire("ingest", "--once", "--seeds", str(SEEDS), env=service_env)
    assert ingest.returncode == 0, ingest.stderr
    enrich = newswire("enrich", "--until-idle", "5", env=service_env)
    assert enrich.returncode == 0, enrich.stderr
    tail = newswire(
        "tail", "--topic", service_env["NEWSWIRE_TOPIC_ENRICHED"],
        "--from-beginning", "--json", "--limit", "1", env=service_env, timeout=60,
    )  # fmt: skip
    assert tail.returncode == 0, tail.stderr

    article = json.loads(tail.stdout)
    assert article["title"].startswith("Turkish President Discusses War In Ukraine")
    entities = {(entity["name"], entity["type"]): entity for entity in article["entities"]}
    assert ("Recep Tayyip Erdogan", "PERSON") in entities
    assert [name for name, _ in entities if "Erdogan" in name] == ["Recep Tayyip Erdogan"]
    assert ("Alyaksandr Lukashenka", "PERSON") in entities
    assert ("NATO", "ORG") in entities
    assert entities["Turkey", "GPE"]["country_code"] == "TR"
    assert entities["Ukraine", "GPE"]["country_code"] == "UA"
    codes = {topic["code"] for topic in article["topics"]}
    assert codes & {"medtop:16000000", "medtop:11000000"}
    assert article["enricher"]["models"]


def test_bad_seeds_are_reported_and_the_good_ones_published(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "a_good.txt").write_text("A good title\n\nA good body.")
    (tmp_path / "b_empty.txt").write_text("")
    (tmp_path / "c_binary.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / "d_lines.jsonl").write_text(
        '{"title": "line one"}\n{oops\n{"title": "line three"}\n'
    )
    ingest = newswire("ingest", "--once", "--seeds", str(tmp_path), env=service_env)
    assert ingest.returncode == 0, ingest.stderr
    problems = [json.loads(line) for line in ingest.stderr.splitlines() if "seed skipped" in line]
    assert {(Path(p["seed"]).name, p["reason"]) for p in problems} == {
        ("b_empty.txt", "empty"),
        ("c_binary.txt", "binary"),
        ("d_lines.jsonl:2", "invalid_json"),
    }
    tail = newswire(
        "tail", "--topic", service_env["NEWSWIRE_TOPIC_RAW"],
        "--from-beginning", "--json", "--limit", "3", env=service_env, timeout=60,
    )  # fmt: skip
    titles = sorted(json.loads(line)["title"] for line in tail.stdout.splitlines())
    assert titles == ["A good title", "line one", "line three"]


def test_tag_works_without_kafka(tmp_path: Path) -> None:
    lines = tmp_path / "articles.jsonl"
    lines.write_text(
        json.dumps({"title": "Germany beat France", "body": "Berlin hosted the final."}) + "\n"
        + "{broken\n"
        + json.dumps({"title": "Second", "body": "Paris.", "url": "https://x.test/2"}) + "\n"
        + json.dumps({"title": "Bad link", "body": "Rome.", "url": "http://x.test:99999/"}) + "\n"
    )  # fmt: skip
    result = newswire("tag", str(lines), str(SEEDS / "000_47538fdd1a9e32f6.txt"), env=NO_KAFKA_ENV)
    assert result.returncode == 1  # input lines that were not articles
    assert f"{lines}:2: invalid_json" in result.stderr
    assert f"{lines}:4: invalid_url" in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [article["title"] for article in out] == [
        "Germany beat France",
        "Second",
        "Turkish President Discusses War In Ukraine With Belarus's Lukashenka",
    ]
    assert out[1]["url"] == "https://x.test/2"
    assert all(len(article["id"]) == 32 and article["enriched_at"] for article in out)


def test_tag_reads_a_json_document_of_one_article_or_a_list(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(
        json.dumps([{"title": "One", "body": "Berlin."}, {"title": "Two", "body": "Rome."}])
    )
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps({"title": "Three", "body": "Paris."}, indent=2))
    result = newswire("tag", str(listed), str(pretty), env=NO_KAFKA_ENV)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()] == [
        "One",
        "Two",
        "Three",
    ]
    # A .json file is read as a .json seed is: a bare value is no article, text no JSON.
    bare, text = tmp_path / "null.json", tmp_path / "text.json"
    bare.write_text("null")
    text.write_text("Not JSON\nat all")
    refused = newswire("tag", str(bare), str(text), env=NO_KAFKA_ENV)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert f"{bare}: invalid_record" in refused.stderr
    assert f"{text}: invalid_json" in refused.stderr


def test_tag_reports_json_nested_too_deeply_and_goes_on(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    document = tmp_path / "deep.json"
    document.write_text(deep)
    lines = tmp_path / "deep.jsonl"
    good = json.dumps({"title": "Good", "body": "Paris."})
    lines.write_text(f'{{"title": "deep", "x": {deep}}}\n{good}\n')
    result = newswire("tag", str(document), str(lines), env=NO_KAFKA_ENV)
    assert result.returncode == 1, result.stderr
    assert f"{document}: invalid_json: nested deeper than Python reads" in result.stderr
    assert f"{lines}:1: invalid_json" in result.stderr
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()] == ["Good"]

    piped = subprocess.run(  # the first line tells a pipe of JSON lines
        [sys.executable, "-m", "newswire", "tag"],
        input=lines.read_bytes(),
        env=NO_KAFKA_ENV,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 1 and b"<stdin>:1: invalid_json" in piped.stderr
    assert [json.loads(line)["title"] for line in piped.stdout.splitlines()] == ["Good"]


def test_tag_with_stdin_closed_tags_its_files_and_says_when_it_needs_stdin(
    tmp_path: Path,
) -> None:
    article = tmp_path / "a.json"
    article.write_text(json.dumps({"title": "Good", "body": "Paris."}))

    def closed_stdin(*files: str) -> subprocess.CompletedProcess[str]:
        command = f"exec {sys.executable} -m newswire tag {' '.join(files)} <&-"
        return subprocess.run(
            ["bash", "-c", command], env=NO_KAFKA_ENV, capture_output=True, text=True, timeout=120
        )

    named = closed_stdin(str(article))
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["title"] == "Good"
    unnamed = closed_stdin()
    assert unnamed.returncode == 2 and "stdin is closed" in unnamed.stderr


def test_tag_on_a_pipe_writes_each_article_before_the_next_line_arrives() -> None:
    command = [sys.executable, "-m", "newswire", "tag"]
    with subprocess.Popen(
        command, env=NO_KAFKA_ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(json.dumps({"title": "First", "body": "Paris."}).encode() + b"\n")
        child.stdin.flush()
        ready, _, _ = select.select([child.stdout], [], [], 120)
        first = child.stdout.readline() if ready else b""
        child.stdin.write(json.dumps({"title": "Second", "body": "Rome."}).encode() + b"\n")
        child.stdin.close()
        rest = child.stdout.read()
    assert json.loads(first)["title"] == "First", "nothing was written while the pipe stayed open"
    assert [json.loads(line)["title"] for line in rest.splitlines()] == ["Second"]


def test_tag_reports_inputs_that_are_no_utf8_text_and_reads_a_byte_order_mark(
    tmp_path: Path,
) -> None:
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({"title": "BOM", "body": "Berlin."}).encode())
    binary = tmp_path / "random.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    result = newswire("tag", str(bom), str(binary), env=NO_KAFKA_ENV)
    assert result.returncode == 1
    assert f"{binary}: binary: contains NUL bytes" in result.stderr
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()] == ["BOM"]

    latin1 = subprocess.run(
        [sys.executable, "-m", "newswire", "tag"],
        input="Café\nAngela Merkel visited München.\n".encode("latin-1"),
        env=NO_KAFKA_ENV,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert latin1.returncode == 1 and latin1.stdout == b""
    assert latin1.stderr.decode() == "newswire tag: <stdin>: not_utf8: invalid byte at offset 3\n"

    lines = [{"title": "Paris", "body": "In Paris."}, {"title": "Rome", "body": "In Rome."}]
    one_bad_byte = subprocess.run(  # "-" is stdin, here after a file
        [sys.executable, "-m", "newswire", "tag", str(bom), "-"],
        input=b"\n".join(
            [json.dumps(lines[0]).encode(), b'{"title": "\xff"}', json.dumps(lines[1]).encode()]
        ),
        env=NO_KAFKA_ENV,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert one_bad_byte.returncode == 1
    assert [json.loads(line)["title"] for line in one_bad_byte.stdout.splitlines()] == [
        "BOM",
        "Paris",
        "Rome",
    ]
    assert one_bad_byte.stderr.decode().startswith("newswire tag: <stdin>:2: not_utf8:")


def test_every_command_has_help() -> None:
    for command in ("run", "broker", "ingest", "enrich", "tag", "tail", "replay"):
        result = newswire(command, "--help", env=NO_KAFKA_ENV)
        assert result.returncode == 0
        assert "Usage:" in result.stdout


def test_every_command_runs_with_the_collector_and_the_gil_set_for_throughput() -> None:
    before, interval = gc.get_threshold(), sys.getswitchinterval()
    gc.set_threshold(700, *before[1:])  # CPython's defaults
    sys.setswitchinterval(0.005)
    try:
        result = CliRunner().invoke(cli, ["enrich", "--workers", "0"])
        assert result.exit_code == 2  # a usage error: the command's own options come later
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
        assert sys.getswitchinterval() == GIL_SWITCH_INTERVAL
    finally:
        gc.set_threshold(*before)
        sys.setswitchinterval(interval)


def test_run_takes_its_seeds_directory_from_the_environment_unless_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = cli.commands["run"]
    assert command.make_context("run", []).params["seeds_dir"] == Path("seeds")
    monkeypatch.setenv("NEWSWIRE_SEEDS_DIR", "/srv/seeds")
    assert command.make_context("run", []).params["seeds_dir"] == Path("/srv/seeds")
    given = command.make_context("run", ["--seeds", "mine"])
    assert given.params["seeds_dir"] == Path("mine")


@pytest.mark.parametrize(
    ("command", "variables", "message"),
    [
        (
            "enrich",
            {"NEWSWIRE_METRICS_PORT": "abc"},
            "invalid setting NEWSWIRE_METRICS_PORT: Input should be a valid integer",
        ),
        (
            "ingest",
            {"KAFKA_COMPRESSION_TYPE": "brotli"},
            "invalid setting KAFKA_COMPRESSION_TYPE: Input should be 'none', 'gzip',",
        ),
        (
            "ingest",
            {"NEWSWIRE_ALLOW_PRIVATE_ADDRESSES": "maybe"},
            "invalid setting NEWSWIRE_ALLOW_PRIVATE_ADDRESSES: Input should be a valid boolean",
        ),
        (
            "ingest",
            {"NEWSWIRE_MIN_INTERVAL": "100", "NEWSWIRE_MAX_INTERVAL": "50"},
            "invalid settings (IngestSettings): NEWSWIRE_MIN_INTERVAL must not be larger",
        ),
        (
            "run",
            {"NEWSWIRE_STATUS_PORT": "abc"},
            "invalid setting NEWSWIRE_STATUS_PORT: not a port number, got 'abc'",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_variable(
    command: str, variables: dict[str, str], message: str
) -> None:
    result = newswire(command, env=NO_KAFKA_ENV | variables, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith(f"newswire: error: {message}")
    assert result.stderr.count("\n") == 1  # no traceback


@pytest.mark.parametrize(
    "one_shot", [["ingest", "--once"], ["enrich", "--until-idle", "1"]], ids=["ingest", "enrich"]
)
def test_a_one_shot_run_gives_up_when_kafka_cannot_be_reached(
    one_shot: list[str], tmp_path: Path
) -> None:
    # A one-shot job (cron, CI) must end; the services themselves wait as long as it takes.
    env = NO_KAFKA_ENV | {
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",  # nothing listens there
        "NEWSWIRE_ONCE_KAFKA_WAIT": "2",
        "NEWSWIRE_SEEDS_DIR": str(tmp_path),
    }
    result = newswire(*one_shot, "--metrics-port", "0", env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("newswire: error: cannot reach Kafka at")


def test_log_level_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_LOG_LEVEL", "debug")
    assert EnrichSettings().log_level == "DEBUG"

"""`newswire ingest --feeds FILE` end to end: a local feed farm, the broker, child processes."""

import errno
import json
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

from newswire.settings import KafkaSettings, TopicSettings
from services.ingest.state import FeedState
from tests.conftest import free_port, read_topic
from tests.services.ingest.farm import (
    FeedFarm,
    Item,
    article_id,
    id_counts,
    ingest_command,
    ingest_env,
    json_lines,
    published,
    published_count,
    run_once,
    summary,
    write_yaml,
)
from tests.services.ingest.test_fetch import Reply
from tests.waiting import wait_for

FEEDS = Path(__file__).parent / "feeds"
HTML = {"Content-Type": "text/html"}


def items(prefix: str, count: int) -> list[Item]:
    return [
        Item(f"{prefix}-{n}", f"{prefix} story {n}", f"Text of {prefix} {n}.") for n in range(count)
    ]


def write_opml(path: Path, urls: dict[str, str]) -> Path:
    outlines = "".join(f'<outline text="{name}" xmlUrl="{url}"/>' for name, url in urls.items())
    path.write_text(
        f'<opml version="2.0"><body><outline text="news">{outlines}</outline></body></opml>'
    )
    return path


def test_good_feeds_are_all_published_next_to_hostile_ones_and_a_rerun_adds_nothing(
    farm: FeedFarm, service_env: dict[str, str], kafka_settings: KafkaSettings,
    topics: TopicSettings, tmp_path: Path,
) -> None:  # fmt: skip
    good = {
        "rss": [*items("rss", 5), Item("rss-undated", "Undated story", dated=False)],
        "atom": items("atom", 5),
        "json": items("json", 5),
    }
    urls = {name: farm.add(name, name, feed_items) for name, feed_items in good.items()}
    server = farm.server
    hostile = {
        "bomb": Reply(body=(FEEDS / "billion_laughs.xml").read_bytes()),
        "html": Reply(body=(FEEDS / "html_page.html").read_bytes(), headers=HTML),
        "cut": Reply(body=(FEEDS / "truncated.xml").read_bytes()[:80]),
        "truncated": Reply(body=(FEEDS / "truncated.xml").read_bytes()),
        "error": Reply(500, b"oops"),
        "slow": Reply(delay=5),
    }
    for name, reply in hostile.items():
        server.routes[f"/{name}"] = reply
        urls[name] = server.url(f"/{name}")
    feeds_file = write_opml(tmp_path / "feeds.opml", urls)
    env = ingest_env(service_env)

    started = time.monotonic()
    code, logs = run_once(feeds_file, env)
    first_run = time.monotonic() - started
    assert code == 0, logs[-5:]
    failed = [line for line in logs if line.get("message") == "feed poll failed"]
    failures = {line["feed"]: line["reason"] for line in failed}
    assert failures == {
        "html": "malformed",
        "cut": "malformed",
        "error": "http_5xx",
        "slow": "timeout",
    }
    articles = published(kafka_settings, topics.raw)
    counts = id_counts(articles)
    expected = {article_id(farm, item) for feed_items in good.values() for item in feed_items}
    assert expected <= counts.keys()
    assert max(counts.values()) == 1
    kinds = {article.source.kind.value for article in articles if article.id in expected}
    assert kinds == {"rss", "atom", "jsonfeed"}
    (undated,) = [a for a in articles if a.id == article_id(farm, good["rss"][-1])]
    assert undated.published_at_inferred and undated.published_at == undated.fetched_at
    assert summary(logs)["polls_ok"] == 5  # three good feeds, the bomb (unexpanded), truncated

    code, logs = run_once(feeds_file, env)
    assert code == 0
    assert len(published(kafka_settings, topics.raw)) == len(articles)
    assert summary(logs)["polls_not_modified"] == 3
    for name in good:
        second = farm.requests(name)[-1].headers
        assert "if-none-match" in second and "if-modified-since" in second
    print(f"first run {first_run:.1f}s: {len(articles)} articles, {len(failures)} feeds failed")


def test_a_pass_that_could_read_no_feed_exits_3(
    farm: FeedFarm, service_env: dict[str, str], tmp_path: Path
) -> None:
    # Partly failing is a feed's life; all failing is a broken network, list or proxy.
    server = farm.server
    server.routes["/gone"] = Reply(404, b"")
    server.routes["/error"] = Reply(500, b"oops")
    urls = {"gone": server.url("/gone"), "error": server.url("/error")}
    env = ingest_env(service_env)
    code, logs = run_once(write_opml(tmp_path / "broken.opml", urls), env)
    assert code == 3, logs[-5:]
    assert logs[-1]["message"] == "no feed could be read in this pass"

    urls["good"] = farm.add("good", "rss", items("good", 1))
    code, logs = run_once(write_opml(tmp_path / "partly.opml", urls), env)
    assert code == 0, logs[-5:]


def test_restart_publishes_changes_with_the_same_id_and_what_appeared_meanwhile(
    farm: FeedFarm, service_env: dict[str, str], kafka_settings: KafkaSettings,
    topics: TopicSettings, tmp_path: Path,
) -> None:  # fmt: skip
    story = items("a", 3)
    shared = Item("shared", "The same story on two feeds")
    urls = {"a": farm.add("a", "rss", [*story, shared]), "b": farm.add("b", "atom", [shared])}
    feeds_file = write_yaml(tmp_path / "feeds.yaml", urls)
    # Fewer than the feeds carry: the index across feeds must still hold all of it on restart.
    env = ingest_env(service_env, NEWSWIRE_SEEN_WINDOW="2")
    code, logs = run_once(feeds_file, env)
    assert code == 0
    first = published(kafka_settings, topics.raw)
    assert len(first) == 4  # the shared story once
    assert (summary(logs)["items_new"], summary(logs)["items_duplicate"]) == (4, 1)

    changed = Item(story[1].key, story[1].title, "A corrected text.")
    appeared = Item("a-new", "Written while ingest was down")
    farm.update("a", lambda old: [appeared, old[0], changed, *old[2:]])
    # Feed b now carries two stories feed a published before the restart, the oldest one and
    # the one a corrected, in its old version: a's articles, not b's to publish again.
    farm.update("b", lambda old: [story[0], story[1], *old])
    code, logs = run_once(feeds_file, env)
    assert code == 0
    earlier = {(article.id, article.content_hash) for article in first}
    everything = published(kafka_settings, topics.raw)
    second = [a for a in everything if (a.id, a.content_hash) not in earlier]
    assert len(everything) == len(first) + len(second)
    by_id = {article.id: article for article in second}
    assert by_id.keys() == {article_id(farm, changed), article_id(farm, appeared)}
    (before,) = [a for a in first if a.id == article_id(farm, changed)]
    after = by_id[article_id(farm, changed)]
    assert after.content_hash != before.content_hash and after.body == "A corrected text."
    assert before.updated_at is None and after.updated_at == after.fetched_at
    counts = summary(logs)
    assert (counts["items_updated"], counts["items_new"], counts["items_duplicate"]) == (1, 1, 2)
    # The feed's state record covers what was published: one record per poll that found items.
    records = read_topic(kafka_settings, topics.ingest_state)
    states = [FeedState.model_validate_json(record.value) for record in records]
    assert {state.url for state in states} == set(urls.values())
    assert all(state.validators.etag and state.error_streak == 0 for state in states)


def test_an_article_stays_with_the_feed_that_published_it_first_across_a_restart(
    farm: FeedFarm, service_env: dict[str, str], kafka_settings: KafkaSettings,
    topics: TopicSettings, tmp_path: Path,
) -> None:  # fmt: skip
    # The fast feed publishes the story, though a slow feed's poll may well begin first (polls
    # start in the feed list's order across its partitions, which the URLs decide).
    teaser = Item("raced", "A story on five feeds", "The teaser.")
    story = replace(teaser, body="The whole story.")
    slow = [f"slow-{n}" for n in range(4)]
    urls = {name: farm.add(name, "rss", [teaser], delay=1.0) for name in slow}
    urls["fast"] = farm.add("fast", "atom", [story])
    feeds_file = write_yaml(tmp_path / "feeds.yaml", urls)
    env = ingest_env(service_env, NEWSWIRE_MAX_POLLS_PER_HOST=str(len(urls)))  # all at once
    code, logs = run_once(feeds_file, env)
    assert code == 0, logs[-5:]
    (first,) = published(kafka_settings, topics.raw)
    assert (first.source.feed_url, first.body) == (urls["fast"], story.body)

    # After a restart the fast feed's edit is still the article's, and the teasers still are not.
    farm.update("fast", lambda old: [replace(story, body="The whole story, corrected.")])
    for name in slow:
        farm.update(name, lambda old: [replace(teaser, body="A new teaser.")])
    code, logs = run_once(feeds_file, env)
    assert code == 0, logs[-5:]
    _, second = published(kafka_settings, topics.raw)
    assert (second.id, second.body) == (first.id, "The whole story, corrected.")
    assert (summary(logs)["items_updated"], summary(logs)["items_duplicate"]) == (1, len(slow))


def test_a_feed_listed_at_a_new_url_keeps_publishing_the_edits_of_its_articles(
    farm: FeedFarm, service_env: dict[str, str], kafka_settings: KafkaSettings,
    topics: TopicSettings, tmp_path: Path,
) -> None:  # fmt: skip
    story = items("moved", 2)
    feeds_file = write_yaml(tmp_path / "feeds.yaml", {"site": farm.add("old", "rss", story)})
    env = ingest_env(service_env)
    assert run_once(feeds_file, env)[0] == 0
    first = published(kafka_settings, topics.raw)

    # The site moved its feed; the file says so. Its articles are the same, one of them edited.
    edited = Item(story[0].key, story[0].title, "A corrected text.")
    write_yaml(feeds_file, {"site": farm.add("new", "atom", [edited, story[1]])})
    code, logs = run_once(feeds_file, env)
    assert code == 0, logs[-5:]
    earlier = {(article.id, article.content_hash) for article in first}
    everything = published(kafka_settings, topics.raw)  # in offset order per partition
    second = [a for a in everything if (a.id, a.content_hash) not in earlier]
    assert len(everything) == len(first) + len(second)
    assert [(a.id, a.body) for a in second] == [(article_id(farm, edited), "A corrected text.")]
    assert (summary(logs)["items_updated"], summary(logs)["items_duplicate"]) == (1, 1)


def _start(feeds_file: Path, env: dict[str, str], log_file: Path) -> subprocess.Popen[bytes]:
    with log_file.open("wb") as stderr:
        return subprocess.Popen(ingest_command("--feeds", str(feeds_file)), env=env, stderr=stderr)


def _logged(log_file: Path, message: str) -> list[dict[str, object]]:
    return [line for line in json_lines(log_file.read_text()) if line.get("message") == message]


def _get(port: object, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_sighup_reloads_the_feed_list_and_a_broken_file_keeps_the_old_one(
    farm: FeedFarm, service_env: dict[str, str], kafka_settings: KafkaSettings,
    topics: TopicSettings, tmp_path: Path,
) -> None:  # fmt: skip
    urls = {"first": farm.add("first", "rss", items("first", 2))}
    feeds_file = write_yaml(tmp_path / "feeds.yaml", urls)
    # Only SIGHUP reloads: the file watch would wait an hour, and a failed feed as long.
    env = ingest_env(
        service_env, NEWSWIRE_FEEDS_WATCH_INTERVAL="3600", NEWSWIRE_BACKOFF_BASE="3600"
    )
    log_file = tmp_path / "ingest.log"
    child = _start(feeds_file, env, log_file)
    try:
        wait_for(
            lambda: published_count(kafka_settings, topics.raw) == 2, 60, "the first two items"
        )
        urls["second"] = farm.add("second", "json", items("second", 3))
        urls["gone"] = farm.url("gone")  # no such feed: a 404 from its first poll on
        write_yaml(feeds_file, urls)
        child.send_signal(signal.SIGHUP)
        wait_for(
            lambda: published_count(kafka_settings, topics.raw) == 5, 60, "the edited list's items"
        )

        feeds_file.write_text("feeds: [unclosed")
        child.send_signal(signal.SIGHUP)
        wait_for(
            lambda: _logged(log_file, "feeds file not reloaded; the previous list stays"),
            60,
            "the broken file logged",
        )
        (endpoints,) = _logged(log_file, "serving endpoints")
        status, _ = _get(endpoints["port"], "/readyz")
        assert status == 200
        expected = [
            "newswire_ingest_feeds_configured 3.0",
            "newswire_ingest_feeds_failing 1.0",
            'newswire_ingest_feed_error_streak{feed="second"} 0.0',
            'newswire_ingest_feed_list_reloads_total{outcome="error"} 1.0',
            'newswire_ingest_items_total{outcome="new"} 5.0',
            'newswire_ingest_fetches_total{outcome="ok",status_class="2xx"}',
            'newswire_ingest_feed_last_success_timestamp_seconds{feed="first"}',
            # Never a success: 0, which an alert on the time since one sees (no series would not).
            'newswire_ingest_feed_last_success_timestamp_seconds{feed="gone"} 0.0',
            # Series of a fixed label set are there before their first event.
            'newswire_ingest_items_total{outcome="duplicate"} 0.0',
            'newswire_ingest_transactions_total{outcome="failed"} 0.0',
            'newswire_ingest_source_errors_total{reason="invalid_item",source_kind="jsonfeed"} 0.0',
            'newswire_ingest_source_errors_total{reason="invalid_json",source_kind="seed"} 0.0',
        ]

        def missing() -> list[str]:
            _, text = _get(endpoints["port"], "/metrics")
            return [line for line in expected if line not in text]

        deadline = time.monotonic() + 30
        while missing() and time.monotonic() < deadline:  # the gauges follow within a tick
            time.sleep(0.5)
        assert not missing(), missing()

        # The failing feed's entry is fixed (a header it needed): it is polled at once, not an
        # hour later when its back-off ends.
        farm.add("gone", "rss", items("gone", 2))
        entries: list[dict[str, object]] = [{"url": url, "name": n} for n, url in urls.items()]
        entries[-1]["headers"] = {"X-Api-Key": "fixed"}
        feeds_file.write_text(json.dumps({"feeds": entries}))
        child.send_signal(signal.SIGHUP)
        wait_for(
            lambda: published_count(kafka_settings, topics.raw) == 7, 30, "the fixed feed's items"
        )

        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()


def test_not_ready_while_kafka_cannot_be_reached(
    farm: FeedFarm, service_env: dict[str, str], tmp_path: Path
) -> None:
    feeds_file = write_yaml(tmp_path / "feeds.yaml", {"a": farm.add("a", "rss", items("a", 1))})
    env = ingest_env(service_env, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    log_file = tmp_path / "ingest.log"
    child = _start(feeds_file, env, log_file)
    try:
        wait_for(lambda: _logged(log_file, "serving endpoints"), 60, "the endpoints served")
        (endpoints,) = _logged(log_file, "serving endpoints")
        assert _get(endpoints["port"], "/healthz")[0] == 200
        assert _get(endpoints["port"], "/readyz")[0] == 503
        assert farm.requests("a") == []  # no poll while nothing could be published
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


def test_sighup_while_ingest_starts_does_not_end_it(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    # Until the feed list is loaded there is nothing to reload, and SIGHUP's default action
    # would end the process: a reload asked for by a deploy right after a start.
    # The list is a named pipe, so the child waits in that window, reading it, until the test
    # writes to it: a window the test does not have to catch, however fast the start.
    feeds_file = tmp_path / "feeds.yaml"
    os.mkfifo(feeds_file)
    log_file = tmp_path / "ingest.log"
    with log_file.open("wb") as stderr:
        child = subprocess.Popen(
            ingest_command("--feeds", str(feeds_file), "--once"),
            env=ingest_env(service_env),
            stderr=stderr,
        )
    try:
        wait_for(lambda: _ignores_sighup(child.pid), 30, "SIGHUP ignored")
        for _ in range(3):
            child.send_signal(signal.SIGHUP)
        _write_to_reader(feeds_file, b"feeds: []")
        # SIGHUPs all along the rest of the start and the pass (not while Python ends, which
        # gives signals back their default actions)
        while child.poll() is None and not _logged(log_file, "ingest pass done"):
            child.send_signal(signal.SIGHUP)
            time.sleep(0.05)
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _write_to_reader(pipe: Path, data: bytes) -> None:
    """Writes `data` to a named pipe once a reader has it open (a child gone fails the test
    instead of blocking it)."""
    opened: list[int] = []

    def reader_there() -> bool:
        try:
            opened.append(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        return bool(opened)

    wait_for(reader_there, 30, "a reader of the pipe")
    try:
        os.write(opened[0], data)
    finally:
        os.close(opened[0])


def _ignores_sighup(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == "SigIgn":
            return bool(int(value, 16) & (1 << (signal.SIGHUP - 1)))
    return False

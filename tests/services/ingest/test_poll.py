"""One poll of one feed over real HTTP from 127.0.0.1, without Kafka: outcomes and next state."""

import json
import random
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

import pytest
from prometheus_client import REGISTRY

from schemas import utc_now
from services.ingest.dedup import Outcome
from services.ingest.feeds import FeedConfig
from services.ingest.fetch import FeedValidators, Fetcher, FetchSettings
from services.ingest.fit import MAX_ARTICLE_BYTES, SHORTENED_SUMMARY_CHARS
from services.ingest.identity import content_hash
from services.ingest.parse import MAX_ITEMS, ParsedFeed, parse_feed
from services.ingest.poll import (
    NOT_MODIFIED,
    OK,
    STOPPED,
    USUAL_FETCHES,
    Poller,
    PollResult,
)
from services.ingest.sanitize import html_to_text
from services.ingest.settings import IngestSettings
from services.ingest.state import FeedState
from tests.services.ingest.counters import source_errors
from tests.services.ingest.farm import FeedFarm, Item
from tests.services.ingest.test_fetch import Reply

SETTINGS = IngestSettings(
    fetch=FetchSettings(allow_private_addresses=True, deadline=3),
    default_interval=300,
    min_interval=60,
    max_interval=3600,
    backoff_base=10,
    backoff_cap=100,
)


@pytest.fixture
def poller() -> Iterator[Poller]:
    with Fetcher(SETTINGS.fetch) as fetcher:
        yield Poller(fetcher, SETTINGS, random.Random(1))


def poll(poller: Poller, url: str, state: FeedState | None = None) -> PollResult:
    return poller.poll(FeedConfig(url=url, name="f"), state or FeedState(url=url))


def outcomes(result: PollResult) -> dict[str, int]:
    found = Counter({outcome.value: count for outcome, count in result.settled.items()})
    found.update(candidate.outcome.value for candidate in result.candidates)
    return dict(found)


def test_new_then_unchanged_then_updated_with_the_same_id(farm: FeedFarm, poller: Poller) -> None:
    url = farm.add("a", "rss", [Item("1", "One"), Item("2", "Two")])
    first = poll(poller, url)
    assert (first.outcome, outcomes(first)) == (OK, {"new": 2})
    assert first.state.last_success_at and first.state.validators.etag

    farm.update("a", lambda items: [Item("2", "Two", "Corrected."), items[0]])
    second = poll(poller, url, first.state)
    assert outcomes(second) == {"updated": 1, "unchanged": 1}
    (updated,) = second.candidates
    (original,) = [c.article for c in first.candidates if c.article.title == "Two"]
    assert updated.article.id == original.id
    assert updated.article.content_hash != original.content_hash
    assert updated.article.updated_at == updated.article.fetched_at


def test_an_item_without_a_link_keeps_its_guid_id_when_edited(
    farm: FeedFarm, poller: Poller
) -> None:
    def feed(text: str) -> Reply:
        item = '<item><guid isPermaLink="false">tag:x.test,2026:7</guid><title>Notice</title>'
        item += f"<description>{text}</description></item>"
        body = f'<rss version="2.0"><channel><title>Notices</title>{item}</channel></rss>'
        return Reply(200, body.encode(), {"Content-Type": "application/rss+xml"})

    farm.server.routes["/notices"] = feed("First text.")
    url = farm.server.url("/notices")
    first = poll(poller, url)
    farm.server.routes["/notices"] = feed("Corrected text.")
    second = poll(poller, url, first.state)
    (new,), (updated,) = first.candidates, second.candidates
    assert new.article.url is None and updated.outcome is Outcome.UPDATED
    assert updated.article.id == new.article.id
    assert updated.article.content_hash != new.article.content_hash
    # Another feed's item with the same GUID is another article.
    farm.server.routes["/other"] = feed("First text.")
    (other,) = poll(poller, farm.server.url("/other")).candidates
    assert other.article.id != new.article.id


def test_a_304_sends_the_validators_and_only_reschedules(farm: FeedFarm, poller: Poller) -> None:
    url = farm.add("a", "atom", [Item("1", "One")])
    first = poll(poller, url)
    second = poll(poller, url, first.state)
    headers = farm.requests("a")[-1].headers
    assert headers["if-none-match"] == first.state.validators.etag
    assert headers["if-modified-since"] == first.state.validators.last_modified
    assert (second.outcome, second.candidates, second.write_state) == (NOT_MODIFIED, [], False)
    assert second.state.seen == first.state.seen
    assert second.state.next_poll_at and second.state.next_poll_at > utc_now()


def test_errors_back_off_keep_the_window_and_a_success_resets_the_streak(
    farm: FeedFarm, poller: Poller
) -> None:
    url = farm.add("a", "json", [Item("1", "One")])
    good = poll(poller, url)
    failing = farm.server.routes["/feeds/a"]
    farm.server.routes["/feeds/a"] = Reply(503, b"busy", {"Retry-After": "40"})
    state = good.state
    for streak in (1, 2, 3):
        before = utc_now()
        result = poll(poller, url, state)
        state = result.state
        assert result.outcome == state.last_error == "http_5xx"
        assert state.error_streak == streak
        assert state.seen == good.state.seen and result.write_state
        wait = (state.next_poll_at - before) if state.next_poll_at else timedelta(0)
        assert timedelta(seconds=40) <= wait <= timedelta(seconds=SETTINGS.backoff_cap + 1)
    farm.server.routes["/feeds/a"] = failing
    recovered = poll(poller, url, state)
    assert (recovered.state.error_streak, recovered.state.last_error) == (0, None)


def test_301_moves_the_feed_and_302_does_not(farm: FeedFarm, poller: Poller) -> None:
    new_url = farm.add("new", "rss", [Item("1", "One")])
    server = farm.server
    server.routes["/temporary"] = Reply(302, b"", {"Location": new_url})
    server.routes["/permanent"] = Reply(301, b"", {"Location": new_url})
    temporary = poll(poller, server.url("/temporary"))
    assert temporary.outcome == OK and temporary.state.moved_to is None
    moved = poll(poller, server.url("/permanent"))
    assert moved.state.moved_to == new_url
    again = poll(poller, server.url("/permanent"), moved.state)
    assert [seen.path for seen in server.requests][-1] == "/feeds/new"
    assert again.outcome == NOT_MODIFIED


def test_a_feed_moved_to_another_origin_is_polled_there_without_its_headers(
    farm: FeedFarm, poller: Poller
) -> None:
    server = farm.server
    elsewhere = farm.add("elsewhere", "rss", [Item("1", "One")]).replace("127.0.0.1", "localhost")
    server.routes["/mine"] = Reply(301, b"", {"Location": elsewhere})
    feed = FeedConfig(url=server.url("/mine"), name="f", headers={"X-Api-Key": "secret"})
    moved = poller.poll(feed, FeedState(url=feed.url))
    assert moved.state.moved_to == elsewhere
    poller.poll(feed, moved.state)  # straight to the new origin
    asked_mine, followed, polled_there = server.requests[-3:]
    assert asked_mine.headers["x-api-key"] == "secret"
    assert "x-api-key" not in followed.headers and "x-api-key" not in polled_there.headers
    assert polled_there.path == "/feeds/elsewhere"


def test_a_header_may_name_an_environment_variable_which_stays_out_of_the_feed_list(
    farm: FeedFarm, poller: Poller, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = farm.add("keyed", "rss", [Item("1", "One")])
    headers = {"Authorization": "Bearer ${NEWSWIRE_FEED_TEST_TOKEN}"}
    feed = FeedConfig(url=url, name="f", headers=headers)
    monkeypatch.setenv("NEWSWIRE_FEED_TEST_TOKEN", "s3cret")
    assert poller.poll(feed, FeedState(url=url)).outcome == OK
    assert farm.requests("keyed")[-1].headers["authorization"] == "Bearer s3cret"
    assert "s3cret" not in feed.model_dump_json()  # what the feed-list topic carries

    monkeypatch.delenv("NEWSWIRE_FEED_TEST_TOKEN")
    failed = poller.poll(feed, FeedState(url=url))
    assert (failed.outcome, failed.state.error_streak) == ("config", 1)
    assert len(farm.requests("keyed")) == 1  # nothing is sent without it
    for unsendable in ("s3cret\r\nX-Injected: 1", "caf\u00e9"):  # httpx sends ASCII only
        monkeypatch.setenv("NEWSWIRE_FEED_TEST_TOKEN", unsendable)
        assert poller.poll(feed, FeedState(url=url)).outcome == "config"
    # Whoever writes the feed list picks the host: only variables named for feeds are read.
    monkeypatch.setenv("KAFKA_SASL_PLAIN_PASSWORD", "kafka-secret")
    leak = FeedConfig(url=url, name="f", headers={"X-Leak": "${KAFKA_SASL_PLAIN_PASSWORD}"})
    assert poller.poll(leak, FeedState(url=url)).outcome == "config"
    assert len(farm.requests("keyed")) == 1


def test_a_fetch_ended_by_a_stop_is_no_error_of_the_feed(
    farm: FeedFarm, caplog: pytest.LogCaptureFixture
) -> None:
    url = farm.add("slow", "rss", [Item("1", "One")])
    farm.server.routes["/feeds/slow"] = Reply(delay=5.0)
    fetcher = Fetcher(SETTINGS.fetch)
    poller = Poller(fetcher, SETTINGS, random.Random(1))
    base = FeedState(url=url)
    with ThreadPoolExecutor(1) as pool:
        polling = pool.submit(poller.poll, FeedConfig(url=url, name="slow"), base)
        time.sleep(0.5)
        fetcher.close()  # as the service does when it stops
        result = polling.result(timeout=5)
    assert (result.outcome, result.state, result.write_state) == (STOPPED, base, False)
    # A poll that starts after the stop (the next in the queue, a redirect's next hop) too.
    later = poller.poll(FeedConfig(url=url, name="slow"), base)
    assert (later.outcome, later.write_state) == (STOPPED, False)
    assert "feed poll failed" not in caplog.text


@pytest.mark.parametrize("count", [1500, MAX_ITEMS, MAX_ITEMS + 5])
def test_an_archive_feed_is_read_whole_to_the_limit_and_its_state_fits_in_one_record(
    farm: FeedFarm, poller: Poller, count: int
) -> None:
    url = farm.add("archive", "rss", [Item(f"{n}", f"Story {n}") for n in range(count)])
    before = source_errors("rss", "too_many_items")
    result = poll(poller, url)
    assert outcomes(result) == {"new": min(count, MAX_ITEMS)}
    skipped = source_errors("rss", "too_many_items") - before
    assert skipped == max(0, count - MAX_ITEMS)  # each item skipped is counted
    assert len(result.state.model_dump_json()) < 1_000_000  # Kafka's default record limit


def test_items_that_share_one_link_are_articles_of_their_own(
    farm: FeedFarm, poller: Poller
) -> None:
    # A podcast whose episodes all link to the show's page.
    episodes = "".join(
        f"<item><guid>ep-{n}</guid><title>Episode {n}</title><link>https://show.example/</link>"
        "</item>"
        for n in range(3)
    )
    farm.server.routes["/show"] = Reply(
        body=f'<rss version="2.0"><channel><title>Show</title>{episodes}</channel></rss>'.encode()
    )
    url = farm.server.url("/show")
    first = poll(poller, url)
    assert outcomes(first) == {"new": 3}
    ids = {candidate.article.id for candidate in first.candidates}
    assert len(ids) == 3
    assert {candidate.article.url for candidate in first.candidates} == {"https://show.example/"}
    again = poll(poller, url, first.state)
    assert outcomes(again) == {"unchanged": 3}

    # Without GUIDs: notices on one page, or on anchors of it, are told apart by their text.
    notices = "".join(
        f"<item><title>{title}</title><link>https://club.example/notices{anchor}</link></item>"
        for title, anchor in [
            ("Pool closed", ""),
            ("AGM on 20 March", ""),
            ("Fees", "#f"),
            ("Gala", "#g"),
        ]
    )
    farm.server.routes["/notices"] = Reply(
        body=f'<rss version="2.0"><channel><title>Club</title>{notices}</channel></rss>'.encode()
    )
    url = farm.server.url("/notices")
    first = poll(poller, url)
    assert outcomes(first) == {"new": 4}
    assert len({candidate.article.id for candidate in first.candidates}) == 4
    assert outcomes(poll(poller, url, first.state)) == {"unchanged": 4}


def test_an_undated_item_keeps_its_first_seen_time_across_updates(
    farm: FeedFarm, poller: Poller
) -> None:
    url = farm.add("a", "rss", [Item("1", "One", dated=False)])
    first = poll(poller, url)
    (new,) = first.candidates
    assert new.article.published_at_inferred and new.article.published_at == new.article.fetched_at
    farm.update("a", lambda _: [Item("1", "One", "Changed.", dated=False)])
    second = poll(poller, url, first.state)
    (updated,) = second.candidates
    assert updated.outcome is Outcome.UPDATED
    assert updated.article.published_at == new.article.published_at
    assert updated.article.fetched_at > new.article.fetched_at


def guid_item_feed(link: str, title: str) -> Reply:
    """A feed of one item, GUID `g1`, at `link`."""
    item = f"<item><guid isPermaLink='false'>g1</guid><link>{link}</link><title>{title}</title>"
    body = f'<rss version="2.0"><channel><title>R</title>{item}</item></channel></rss>'
    return Reply(200, body.encode(), {"Content-Type": "application/rss+xml"})


def atom_entry_feed(text: str, updated: datetime) -> Reply:
    """An Atom feed of one entry whose `updated` is given."""
    entry = (
        f"<entry><id>urn:e1</id><title>Budget vote</title><link href='https://a.test/e1'/>"
        f"<published>2026-06-01T08:00:00Z</published><updated>{updated.isoformat()}</updated>"
        f"<content>{text}</content></entry>"
    )
    body = f"<feed xmlns='http://www.w3.org/2005/Atom'><title>A</title>{entry}</feed>"
    return Reply(200, body.encode(), {"Content-Type": "application/atom+xml"})


def test_an_edit_is_dated_by_the_feed_only_with_a_time_after_the_last_look(
    farm: FeedFarm, poller: Poller
) -> None:
    stated = utc_now().replace(microsecond=0) - timedelta(hours=1)
    farm.server.routes["/edited"] = atom_entry_feed("First text.", stated)
    url = farm.server.url("/edited")
    first = poll(poller, url)
    # The entry's text changes and its `updated` stays: that time is the first version's.
    farm.server.routes["/edited"] = atom_entry_feed("Second text.", stated)
    second = poll(poller, url, first.state)
    (edit,) = second.candidates
    assert edit.outcome is Outcome.UPDATED
    assert edit.article.updated_at == edit.article.fetched_at > stated
    # An edit the feed dates after the last look keeps the feed's time.
    assert second.state.last_success_at is not None
    later = (second.state.last_success_at + timedelta(seconds=1)).replace(microsecond=0)
    time.sleep(max(0.0, (later - utc_now()).total_seconds()) + 0.01)  # a date in the past
    farm.server.routes["/edited"] = atom_entry_feed("Third text.", later)
    (third,) = poll(poller, url, second.state).candidates
    assert third.article.updated_at == later


def test_a_guid_reused_for_another_story_is_a_new_article_not_an_update(
    farm: FeedFarm, poller: Poller
) -> None:
    feed = guid_item_feed
    farm.server.routes["/reused"] = feed("https://r.test/one", "First story")
    url = farm.server.url("/reused")
    first = poll(poller, url)
    farm.server.routes["/reused"] = feed("https://r.test/two", "Another story")
    (second,) = poll(poller, url, first.state).candidates
    assert second.outcome is Outcome.NEW and second.article.updated_at is None
    assert second.article.id != first.candidates[0].article.id


def test_a_guid_whose_link_changes_is_a_new_article_even_with_the_same_text(
    farm: FeedFarm, poller: Poller
) -> None:
    feed = guid_item_feed
    url = farm.server.url("/moved")
    farm.server.routes["/moved"] = feed("https://r.test/orig", "Story")
    original = poll(poller, url)
    (first,) = original.candidates
    farm.server.routes["/moved"] = feed("https://r.test/moved", "Story")
    moved = poll(poller, url, original.state)
    (second,) = moved.candidates  # had been counted unchanged: the new address never published
    assert second.outcome is Outcome.NEW and second.article.url == "https://r.test/moved"
    assert second.article.id != first.article.id
    farm.server.routes["/moved"] = feed("https://r.test/moved", "Story, edited")
    (edited,) = poll(poller, url, moved.state).candidates
    assert (edited.outcome, edited.article.id) == (Outcome.UPDATED, second.article.id)


def test_an_item_too_large_for_a_record_is_shortened_and_one_with_a_huge_title_skipped(
    farm: FeedFarm, poller: Poller
) -> None:
    before = source_errors("rss", "too_large")
    paragraph = "<p>" + "Ein Wort über Größe. " * 50 + "</p>"  # not ASCII: two-byte characters
    huge = paragraph * (2 * MAX_ARTICLE_BYTES // len(paragraph))
    items = [Item("1", "Small"), Item("2", "Huge", huge), Item("3", "T" * MAX_ARTICLE_BYTES)]
    url = farm.add("a", "rss", items)
    first = poll(poller, url)
    small, shortened = (candidate.article for candidate in first.candidates)
    assert (small.title, shortened.title) == ("Small", "Huge")
    assert len(shortened.model_dump_json().encode()) <= MAX_ARTICLE_BYTES
    assert len(shortened.summary) == SHORTENED_SUMMARY_CHARS
    assert html_to_text(huge).startswith(shortened.body) and shortened.body.endswith("Größe.")
    assert shortened.content_hash == content_hash("Huge", shortened.body)  # what it carries
    assert source_errors("rss", "too_large") == before + 1  # the title alone is too large
    unconditional = first.state.model_copy(update={"validators": FeedValidators()})
    assert outcomes(poll(poller, url, unconditional)) == {"unchanged": 2}  # not cut again
    # An item that gave no record is tried again, and counted, at every poll, as one the parser
    # skips: its article was never carried, so it is not unchanged.
    assert source_errors("rss", "too_large") == before + 2


def test_items_the_parser_skips_are_counted_and_logged(
    farm: FeedFarm, poller: Poller, caplog: pytest.LogCaptureFixture
) -> None:
    errors = partial(source_errors, "jsonfeed")
    before = errors("invalid_item"), errors("empty_item")
    items = [{"id": "1", "title": "Fine"}, {"id": "2", "title": {"a": 1}}, {"id": "3"}]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items})
    farm.server.routes["/j"] = Reply(200, body.encode(), {"Content-Type": "application/json"})
    result = poll(poller, farm.server.url("/j"))
    assert [candidate.article.title for candidate in result.candidates] == ["Fine"]
    assert (errors("invalid_item"), errors("empty_item")) == (before[0] + 1, before[1] + 1)
    (logged,) = [record for record in caplog.records if record.msg == "feed items skipped"]
    assert logged.__dict__["items"] == {"invalid_item": 1, "empty_item": 1}
    assert logged.__dict__["first"] == "title: Input should be a valid string"


def test_polls_in_threads_read_their_feeds_one_at_a_time(
    farm: FeedFarm, poller: Poller, monkeypatch: pytest.MonkeyPatch
) -> None:
    reading: list[int] = []
    most_at_once = 0

    def counted_parse(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        nonlocal most_at_once
        reading.append(1)
        most_at_once = max(most_at_once, len(reading))
        time.sleep(0.02)  # long enough for a second reader to come in, were it let in
        try:
            return parse_feed(body, headers, url)
        finally:
            reading.pop()

    monkeypatch.setattr("services.ingest.poll.parse_feed", counted_parse)
    urls = [farm.add(f"f{n}", "rss", [Item(f"{n}", f"Story {n}")]) for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda url: poll(poller, url), urls))
    assert [(result.outcome, outcomes(result)) for result in results] == [(OK, {"new": 1})] * 8
    assert most_at_once == 1


def fetch_counts() -> Counter[tuple[str, str]]:
    return Counter(
        {
            (sample.labels["outcome"], sample.labels["status_class"]): sample.value
            for metric in REGISTRY.collect()
            if metric.name == "newswire_ingest_fetches"
            for sample in metric.samples
            if sample.name == "newswire_ingest_fetches_total"
        }
    )


def test_a_fetch_is_counted_with_the_class_of_the_status_it_got(farm: FeedFarm) -> None:
    server = farm.server
    server.routes["/odd"] = Reply(999, b"")
    server.routes["/loop"] = Reply(301, b"", {"Location": server.url("/loop")})
    server.routes["/big"] = Reply(200, b"<rss>" + b"x" * 2000 + b"</rss>")
    small = SETTINGS.fetch.model_copy(update={"max_body_bytes": 1000})
    expected = {
        "/odd": ("http_other", "other"),
        "/loop": ("too_many_redirects", "3xx"),  # a response arrived: a redirect
        "/big": ("too_large", "2xx"),
    }
    with Fetcher(small) as fetcher:
        poller = Poller(fetcher, SETTINGS, random.Random(1))
        for path, pair in expected.items():
            before = fetch_counts()
            assert poll(poller, server.url(path)).outcome == pair[0]
            assert fetch_counts() - before == Counter({pair: 1})


def test_every_usual_fetch_outcome_is_counted_from_0_before_it_first_happens(
    farm: FeedFarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(USUAL_FETCHES) <= set(fetch_counts())  # at 0 if it has not happened yet
    server = farm.server
    url = farm.add("fine", "rss", [Item("1", "One")])
    replies = {
        "/gone": Reply(404, b""),
        "/down": Reply(503, b""),
        "/html": Reply(200, b"<html><body>No feed here</body></html>"),
        "/big": Reply(200, b"<rss>" + b"x" * 2000 + b"</rss>"),
        "/loop": Reply(301, b"", {"Location": server.url("/loop")}),
        "/slow": Reply(200, delay=2),
        "/garbled": Reply(200, b"not gzip", {"Content-Encoding": "gzip"}),
        "/to-credentials": Reply(302, b"", {"Location": "http://user:pw@127.0.0.1/"}),
    }
    server.routes.update(replies)
    settings = SETTINGS.fetch.model_copy(update={"max_body_bytes": 1000, "deadline": 0.5})
    monkeypatch.delenv("NEWSWIRE_FEED_UNSET", raising=False)
    with Fetcher(settings) as fetcher:
        poller = Poller(fetcher, SETTINGS, random.Random(1))
        before = fetch_counts()
        first = poll(poller, url)
        seen = set(fetch_counts() - before)  # ok
        feeds = [
            (FeedConfig(url=url, name="f"), first.state),  # 304
            (FeedConfig(url=url, name="f", headers={"X-Key": "${NEWSWIRE_FEED_UNSET}"}), None),
            *((FeedConfig(url=server.url(path), name="f"), None) for path in replies),
            (FeedConfig(url="http://127.0.0.1:1/closed", name="f"), None),
        ]
        for feed, state in feeds:
            before = fetch_counts()
            poller.poll(feed, state or FeedState(url=feed.url))
            seen |= set(fetch_counts() - before)
    with Fetcher(SETTINGS.fetch.model_copy(update={"allow_private_addresses": False})) as fetcher:
        before = fetch_counts()
        Poller(fetcher, SETTINGS, random.Random(1)).poll(
            FeedConfig(url=url, name="f"), FeedState(url=url)
        )
        seen |= set(fetch_counts() - before)
    assert seen - {("internal", "none")} <= set(USUAL_FETCHES)
    assert set(USUAL_FETCHES) - seen == {("internal", "none")}  # a bug's: none here

"""The feed list picks up edits of its file, and SIGHUP; a broken file keeps the old list."""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newswire.errors import ConfigError
from services.ingest.reload import SIGHUP_SETTLE_SECONDS, FeedList


def write(path: Path, *urls: str) -> None:
    path.write_text("feeds:\n" + "".join(f"  - url: {url}\n" for url in urls))
    # Some file systems keep whole-second times: make every write a visible change.
    stamp = time.time() + len(urls)
    os.utime(path, (stamp, stamp))


@pytest.fixture
def feeds_file(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    write(path, "https://a.test/rss")
    return path


@pytest.fixture
def restore_sighup() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGHUP)
    yield
    signal.signal(signal.SIGHUP, previous)


def test_a_changed_file_is_reloaded_and_a_broken_one_is_not(feeds_file: Path) -> None:
    feed_list = FeedList(feeds_file, interval=0.01)
    assert [feed.url for feed in feed_list.load()] == ["https://a.test/rss"]
    time.sleep(0.02)
    assert feed_list.changed() is None  # nothing changed

    write(feeds_file, "https://a.test/rss", "https://b.test/atom")
    time.sleep(0.02)
    assert feed_list.changed() is None  # seen changed: read once it stays so for a look
    time.sleep(0.02)
    reloaded = feed_list.changed()
    assert reloaded is not None and len(reloaded) == 2

    feeds_file.write_text("feeds:\n  - url: ftp://nope\n")
    for _ in range(3):
        time.sleep(0.02)
        assert feed_list.changed() is None  # logged, counted, and the caller keeps its list
    time.sleep(0.02)
    assert feed_list.changed() is None  # not tried again until the file changes again


def test_a_file_still_being_written_is_read_once_it_stays_the_same(feeds_file: Path) -> None:
    feed_list = FeedList(feeds_file, interval=0.01)
    feed_list.load()
    whole = "feeds:\n" + "".join(f"  - url: https://{n}.test/rss\n" for n in range(10))
    with feeds_file.open("w") as file:  # a save in two writes, a look between them
        file.write(whole[:60])  # valid YAML: two feeds and a cut URL
        file.flush()
        time.sleep(0.02)
        assert feed_list.changed() is None
        file.write(whole[60:])
    time.sleep(0.02)
    assert feed_list.changed() is None  # changed again since the last look
    time.sleep(0.02)
    reloaded = feed_list.changed()
    assert reloaded is not None and len(reloaded) == 10


def test_sighup_reloads_even_an_unchanged_file(feeds_file: Path, restore_sighup: None) -> None:
    feed_list = FeedList(feeds_file, interval=3600)
    feed_list.load()
    feed_list.reload_on_sighup()
    assert feed_list.changed() is None
    os.kill(os.getpid(), signal.SIGHUP)
    assert feed_list.changed() is None  # read once the file has stayed the same for a moment
    time.sleep(SIGHUP_SETTLE_SECONDS)
    reloaded = feed_list.changed()
    assert reloaded is not None and [feed.url for feed in reloaded] == ["https://a.test/rss"]
    assert feed_list.changed() is None


def test_sighup_during_a_write_reads_the_file_once_written(
    feeds_file: Path, restore_sighup: None
) -> None:
    feed_list = FeedList(feeds_file, interval=3600)
    feed_list.load()
    feed_list.reload_on_sighup()
    whole = "feeds:\n" + "".join(f"  - url: https://{n}.test/rss\n" for n in range(10))
    with feeds_file.open("w") as file:  # a save in two writes, SIGHUP between them
        file.write(whole[:60])  # valid YAML: two feeds and a cut URL
        file.flush()
        os.kill(os.getpid(), signal.SIGHUP)
        assert feed_list.changed() is None
        time.sleep(SIGHUP_SETTLE_SECONDS * 0.6)
        assert feed_list.changed() is None
        file.write(whole[60:])
    time.sleep(SIGHUP_SETTLE_SECONDS * 0.6)
    assert feed_list.changed() is None  # changed since: its wait starts again
    time.sleep(SIGHUP_SETTLE_SECONDS)
    reloaded = feed_list.changed()
    assert reloaded is not None and len(reloaded) == 10


def test_no_file_means_no_feeds_and_a_broken_file_at_start_is_an_error(tmp_path: Path) -> None:
    assert FeedList(None, 1).load() == [] and FeedList(None, 1).changed() is None
    broken = tmp_path / "feeds.opml"
    broken.write_text("<opml><body>")
    with pytest.raises(ConfigError, match="not well-formed"):
        FeedList(broken, 1).load()

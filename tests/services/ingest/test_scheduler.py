"""The scheduler: due times, the global limit and the per-host limit."""

from services.ingest.scheduler import Scheduler


def url(host: str, n: int) -> str:
    return f"https://{host}/feed{n}"


def test_due_feeds_start_in_due_order_and_not_before() -> None:
    scheduler = Scheduler(max_in_flight=10, max_per_host=10)
    scheduler.schedule("late", 20.0, url("a.test", 1))
    scheduler.schedule("early", 10.0, url("b.test", 1))
    assert scheduler.start(5.0) == []
    assert scheduler.next_due() == 10.0
    assert scheduler.start(10.0) == ["early"]
    assert scheduler.start(30.0) == ["late"]
    assert scheduler.next_due() is None and not scheduler.idle
    scheduler.finish("early")
    scheduler.finish("late")
    assert scheduler.idle


def test_rescheduling_moves_a_feed_and_an_in_flight_feed_is_not_started_twice() -> None:
    scheduler = Scheduler(max_in_flight=10, max_per_host=10)
    scheduler.schedule("f", 10.0, url("a.test", 1))
    scheduler.schedule("f", 50.0, url("a.test", 1))
    assert scheduler.start(20.0) == []
    assert scheduler.start(50.0) == ["f"]
    scheduler.schedule("f", 0.0, url("a.test", 1))  # ignored: whoever finishes it reschedules it
    assert scheduler.start(60.0) == []
    scheduler.finish("f")
    scheduler.schedule("f", 0.0, url("a.test", 1))
    assert scheduler.start(60.0) == ["f"]


def test_global_and_per_host_limits_and_no_host_starves() -> None:
    scheduler = Scheduler(max_in_flight=3, max_per_host=2)
    for n in range(5):
        scheduler.schedule(f"slow{n}", 0.0, url("slow.test", n))
    scheduler.schedule("other", 1.0, url("other.test", 0))
    assert scheduler.start(0.0) == ["slow0", "slow1"]  # the host's limit, not the global one
    assert scheduler.start(1.0) == ["other"]  # a waiting host does not hold back another
    assert scheduler.start(2.0) == []  # three in flight
    scheduler.finish("other")
    assert scheduler.start(2.0) == []  # slow.test is still at its limit
    scheduler.finish("slow0")
    assert scheduler.start(2.0) == ["slow2"]


def test_removed_feeds_are_not_started() -> None:
    scheduler = Scheduler(max_in_flight=1, max_per_host=1)
    scheduler.schedule("a", 0.0, url("h.test", 1))
    scheduler.schedule("b", 0.0, url("h.test", 2))
    scheduler.schedule("c", 5.0, url("h.test", 3))
    assert scheduler.start(0.0) == ["a"]
    scheduler.remove("b")  # waiting for the host
    scheduler.remove("c")  # not due yet
    scheduler.finish("a")
    assert scheduler.start(10.0) == []
    assert scheduler.idle


def test_a_fetched_feed_frees_its_slot_but_is_not_started_again_before_finish() -> None:
    scheduler = Scheduler(max_in_flight=1, max_per_host=1)
    scheduler.schedule("a", 0.0, url("h.test", 1))
    scheduler.schedule("b", 0.0, url("h.test", 2))
    assert scheduler.start(0.0) == ["a"]
    assert scheduler.start(0.0) == []  # both limits reached
    scheduler.fetched("a")  # its response is in hand; its commit is under way
    assert scheduler.start(0.0) == ["b"]
    scheduler.schedule("a", 0.0, url("h.test", 1))  # ignored: it is still in flight
    scheduler.fetched("b")
    assert scheduler.start(0.0) == []
    scheduler.finish("a")
    scheduler.finish("b")
    scheduler.finish("b")  # twice: no slot is freed twice
    assert scheduler.idle
    for feed in ("a", "b", "c"):
        scheduler.schedule(feed, 0.0, url("h.test", 3))
    assert scheduler.start(0.0) == ["a"]  # still one slot, not two

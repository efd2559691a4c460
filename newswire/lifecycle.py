"""Start-up and shutdown shared by every long-running command."""

import contextlib
import ctypes
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Collection
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from newswire.errors import NewswireError
from newswire.observability.endpoints import Readiness

log = logging.getLogger(__name__)
T = TypeVar("T")

# CPython looks for reference cycles every 700 new container objects. Polling a feed or tagging
# a batch makes hundreds of thousands of them (feedparser's dicts, models, spaCy's objects) and
# frees nearly all by reference counting, so those collections find little, and the older
# generations' ones walk everything alive. In a 50,000-item first pass of ingest the collector
# took 1.4 s of 27 s of CPU at 700, 0.1 s at this; tagging 248 articles, 0.7 s and 0.2 s.
# Cycles still go, a few megabytes later.
YOUNG_COLLECTION_THRESHOLD = 50_000
# A thread holding the GIL hands it over, when another asks, every 5 ms by default. The services
# run one CPU-bound thread (a poll reading its feed, a batch being tagged) beside I/O threads
# (fetches, Kafka's clients) that ask for it after each socket read, so it is handed over about
# as often as it can be. At 20 ms, a first pass of ingest over the bench farm (2,000 feeds) took
# 391 us of CPU per item against 457 at 5 ms (means of three runs each); an I/O thread waits for
# the GIL 20 ms at most.
GIL_SWITCH_INTERVAL = 0.02


def tune_for_throughput() -> None:
    """Sets the collector's young-generation threshold and the GIL's switch interval for a
    throughput-bound process."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def ends_with_this_process(
    unblocked: Collection[int] = (), ignored: Collection[int] = ()
) -> Callable[[], None]:
    """What a child process does between fork and exec (`preexec_fn`): unblock `unblocked`,
    ignore `ignored` (until the program it runs says otherwise), and on Linux ask for SIGTERM
    when this process dies, so that a process killed outright (SIGKILL, or a signal it has no
    handler for) leaves no child running. Linux sends that signal when the forking *thread*
    ends, so only a child started by the main thread, whose end is the process's, is tied to
    it."""
    prctl = None
    if sys.platform == "linux" and threading.current_thread() is threading.main_thread():
        with contextlib.suppress(OSError, AttributeError):
            prctl = ctypes.CDLL(None).prctl  # looked up before the fork
    parent = os.getpid()

    def setup() -> None:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, unblocked)
        for signum in ignored:
            signal.signal(signum, signal.SIG_IGN)
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the parent died before the request above
                os.kill(os.getpid(), signal.SIGTERM)

    return setup


def stop_on_signals(*also: signal.Signals) -> threading.Event:
    """An event set by SIGTERM or SIGINT (or a signal of `also`, as SIGHUP for `newswire run`,
    whose terminal closed), which the service loop checks between batches.

    A second Ctrl-C (SIGINT) ends the process at once, as a person pressing it again means;
    nothing of an open transaction is lost, as after a crash (exit status 130). SIGTERM always
    stops cleanly: `newswire run` sends it to children the terminal's Ctrl-C reached already.
    """
    stop = threading.Event()
    interrupted = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if signum == signal.SIGINT:
            if interrupted.is_set():
                log.warning("stopping now, without cleaning up", extra={"signal": name})
                os._exit(128 + signum)
            interrupted.set()
        log.info("stopping", extra={"signal": name})
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, *also):
        signal.signal(signum, handle)
    return stop


class _StopWhenSet(stop_base):
    def __init__(self, event: threading.Event) -> None:
        self._event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._event.is_set()


def _is_retriable(exc: BaseException) -> bool:
    return isinstance(exc, NewswireError) and exc.retriable


def retry_until_stopped(
    stop: threading.Event,
    what: str,
    action: Callable[[], T],
    give_up_after: float | None = None,
    readiness: Readiness | None = None,
) -> T:
    """Runs `action` until it succeeds, backing off on retriable errors, until `stop` is set (or
    `give_up_after` seconds passed, for a one-shot run that must end). Each failure is what
    `readiness` reports meanwhile (`/readyz`: "not ready: connect consumer: …").

    Once `stop` is set, the last retriable error is raised: after the attempt that failed, or
    at once from the back-off, as a further attempt could block (on a broker that is down, say)
    for longer than a shutdown may take.
    """
    failed: list[BaseException] = []

    def log_retry(state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if error is not None:
            failed[:] = [error]
            if readiness is not None:
                readiness.not_ready(f"{what}: {error}")
        log.warning(
            "retrying",
            extra={"what": what, "attempt": state.attempt_number, "error": str(error)},
        )

    def sleep(seconds: float) -> None:
        # tenacity attempts again after any sleep, and has forgotten the error by then.
        if stop.wait(seconds):
            raise failed[-1]

    retrying = Retrying(
        retry=retry_if_exception(_is_retriable),
        wait=wait_exponential_jitter(multiplier=0.5, max=15),
        stop=_StopWhenSet(stop) | stop_after_delay(give_up_after or float("inf")),
        sleep=sleep,
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(action)

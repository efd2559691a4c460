"""`newswire enrich --workers N`: N enrich processes in one replica, and their supervisor.

Tagging is CPU-bound Python, so a replica uses more than one core only with more processes.
Each worker runs the ordinary enrich service (`EnrichService.run`) in a process of its own:
it is its own consumer-group member with its own transactional producer, so exactly-once
delivery holds just as it does across replicas, and Kafka shares the raw topic's partitions
among the workers (more workers than partitions leaves the extra ones idle).

Workers are forked from a 'forkserver': a fresh interpreter, started by the supervisor, that
loads the tagger's models once (`preload.py`) and forks a worker per request. So nothing of the
supervisor's threads or locks is inherited, and the workers share the models' memory: each adds
what it writes (its own objects, the pages it touches), not another copy of the models.

Each worker serves `/metrics`, `/healthz` and `/readyz` on its own port, `metrics_port + i`
for worker i (0, 1, ...); with `metrics_port` 0 each picks a free port and logs it.

The supervisor only starts, watches and stops:
- SIGTERM or SIGINT: every worker is sent SIGTERM, finishes or aborts its batch and leaves its
  group; one still running after `STOP_GRACE` seconds is killed (its open transaction, if any,
  is aborted by Kafka, so nothing is delivered twice);
- a worker that exits with an error, or exits at all while it should run on (no stop asked and
  no `until_idle`), stops the others, and the supervisor exits with that worker's status (2 for
  settings that cannot work, as without workers; 1 if a signal ended it), so that whatever
  supervises the replica (Docker, systemd, Kubernetes) restarts it whole;
- with `until_idle`, each worker exits once the partitions it has are drained, and the
  supervisor exits 0 when all of them have;
- a supervisor killed outright (SIGKILL) cannot stop anything: each worker notices it is gone and
  stops as if sent SIGTERM, and the forkserver ends with the last of them.
"""

import logging
import multiprocessing
import signal
import sys
import threading
import time
from multiprocessing import forkserver
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from newswire.errors import ConfigError, NewswireError
from newswire.lifecycle import stop_on_signals, tune_for_throughput
from newswire.observability.logs import configure_logging
from services.enrich.settings import EnrichSettings

log = logging.getLogger(__name__)

STOP_GRACE = 8.0  # seconds; within the 10 s Docker gives between SIGTERM and SIGKILL
WATCH_INTERVAL = 0.5  # seconds between checks of the stop flag while the workers run
PRELOAD = "services.enrich.preload"
MAX_PORT = 65535


def worker_settings(settings: EnrichSettings, index: int) -> EnrichSettings:
    """Worker `index`'s settings: the replica's, with endpoints on `metrics_port + index`."""
    if settings.metrics_port == 0:
        return settings
    return settings.model_copy(update={"metrics_port": settings.metrics_port + index})


def run_worker(index: int, settings: EnrichSettings, until_idle: float | None) -> None:
    """A worker process's entry point: the enrich service, with its own signal handling."""
    # Imported here: the supervisor itself never loads spaCy.
    from services.enrich.consume import EnrichService
    from services.enrich.tag import Tagger

    tune_for_throughput()  # the forkserver runs with CPython's settings
    configure_logging(settings.log_level, settings.log_format)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_WorkerIndex(index))
    warn_unless_preloaded()
    stop = stop_on_signals()
    _stop_without_supervisor(stop)
    mine = worker_settings(settings, index)
    try:
        sys.exit(EnrichService(mine, Tagger(batch_size=mine.batch_size), stop).run(until_idle))
    except NewswireError as exc:  # one line, as `newswire enrich` without workers says it
        log.error("worker failed", extra={"error": str(exc)})
        sys.exit(exc.exit_code)


def warn_unless_preloaded() -> None:
    """Says so when this worker was forked without the models: the forkserver skips, without a
    word, a preload module that fails to import, and each worker then loads a copy of its own."""
    if PRELOAD not in sys.modules:
        log.warning(
            "the forkserver did not preload the models: this worker loads its own copy",
            extra={"preload": PRELOAD},
        )


def _stop_without_supervisor(stop: threading.Event) -> None:
    """Stops this worker as SIGTERM would once its supervisor is gone, killed with SIGKILL say:
    nothing else would, since a worker's parent is the forkserver, which each worker keeps alive.
    """
    supervisor = multiprocessing.parent_process()
    if supervisor is None:
        return

    def watch(sentinel: int) -> None:
        wait([sentinel])  # ready once the supervisor's end of the pipe to this worker closed
        log.warning("the supervisor is gone; stopping")
        stop.set()

    threading.Thread(
        target=watch, args=(supervisor.sentinel,), name="supervisor-watch", daemon=True
    ).start()


def supervise(
    settings: EnrichSettings, workers: int, until_idle: float | None, stop: threading.Event
) -> int:
    """Runs `workers` enrich processes until stopped, drained, or one of them fails; then the
    replica's exit status: 0, or the failed worker's (1 if a signal ended it)."""
    last_port = settings.metrics_port + workers - 1
    if settings.metrics_port and last_port > MAX_PORT:
        raise ConfigError(
            f"{workers} workers from metrics port {settings.metrics_port} need ports up to "
            f"{last_port}; choose a lower port"
        )
    if workers > settings.topics.partitions:
        log.warning(
            "more workers than raw topic partitions: the extra ones will wait idle",
            extra={"workers": workers, "partitions": settings.topics.partitions},
        )
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    _start_forkserver()
    running: list[BaseProcess] = []
    for index in range(workers):
        process = context.Process(
            target=run_worker,
            args=(index, settings, until_idle),
            name=f"enrich-worker-{index}",
        )
        process.start()
        running.append(process)
    log.info("workers started", extra={"workers": workers, "pids": [p.pid for p in running]})
    while running and not stop.is_set():
        wait([process.sentinel for process in running], timeout=WATCH_INTERVAL)
        for ended in [process for process in running if not process.is_alive()]:
            running.remove(ended)
            if ended.exitcode != 0 or until_idle is None:
                log.error(
                    "worker ended; stopping the others",
                    extra={"worker": ended.name, "exit_code": ended.exitcode},
                )
                _stop_all(running)
                return ended.exitcode if ended.exitcode and ended.exitcode > 0 else 1
    _stop_all(running)
    return 0


def _start_forkserver() -> None:
    """Starts the forkserver deaf to SIGINT. A terminal's Ctrl-C reaches the whole process group,
    and one that came while the forkserver started or loaded the models would end it with a
    traceback; the supervisor stops the workers itself. An ignored signal stays ignored through
    `exec`, and the forkserver hands that on to the workers, which set their own handler as they
    start (`stop_on_signals`). A Ctrl-C in the few milliseconds of the start is lost."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop_all(processes: list[BaseProcess]) -> None:
    """SIGTERM to each process, then SIGKILL to any still running after `STOP_GRACE`."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            log.warning("worker did not stop in time; killing it", extra={"worker": process.name})
            process.kill()
            process.join()


class _WorkerIndex(logging.Filter):
    """Marks each log record with the worker it comes from."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self._index = index

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker = self._index
        return True

"""`newswire broker`: the embedded broker in the foreground until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from newswire.broker.embedded import EmbeddedBroker
from newswire.errors import BrokerError

_LIVENESS_SECONDS = 1.0


def serve(port: int | None, data_dir: Path | None) -> int:
    """Run the broker; print `KAFKA_BOOTSTRAP_SERVERS=host:port` once ready.

    Returns 0 after a requested stop, 1 if the broker failed to start or died.
    """
    stopping = threading.Event()
    interruptible = True

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        # While starting, unwind at once: start() stops the JVM it launched when interrupted.
        if interruptible:
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    broker = EmbeddedBroker(port=port, data_dir=data_dir)
    try:
        broker.start()
        interruptible = False
        print(f"KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers}", flush=True)
        while not stopping.wait(_LIVENESS_SECONDS):
            if not broker.running:
                raise BrokerError(f"Kafka exited unexpectedly{broker.log_tail()}")
    except KeyboardInterrupt:
        return 0
    except BrokerError as exc:
        print(f"newswire broker: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        interruptible = False
        broker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0

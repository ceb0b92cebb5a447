"""SIGINT and SIGTERM as a request to stop after the current step, not a kill mid-write.

A stop that lands between two steps lets the loop checkpoint and the run write its image and
config.json; the default handlers would end the process with neither (exit 143 for SIGTERM).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


@contextlib.contextmanager
def stop_requests() -> Iterator[Callable[[], str | None]]:
    """Yields a poll that returns the signal's name once one has arrived, else None."""
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, frame) -> None:
        received.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: received[0] if received else None
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

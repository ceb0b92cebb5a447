"""A progress line between the paper's log blocks: iterations done, iterations/s and ETA.

The paper logs every 20 iterations, which on a CPU can be minutes apart; the line says the run is
alive and when it will end. On a terminal it redraws one line in place (at most a few times a
second, so drawing never costs the run time); anywhere else (CI, `> log.txt`) a carriage-return
line would be garbage, so it becomes an absl log line every `log_seconds` instead.
"""

from __future__ import annotations

import collections
import sys
import time
from collections.abc import Callable
from typing import TextIO

from absl import logging


class Progress:
    """Construct it just before the first step; call `update(i)` after update i, then `close()`.

    `start` is the first iteration this process runs (the checkpoint's on a resume), so the
    rate counts only this process's iterations and is not inflated by ones done before. The
    rate is measured over the last `window_seconds`, so the first step's tracing and
    compilation fall out of it once the run is warm.
    """

    def __init__(
        self,
        total: int,
        start: int = 0,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.perf_counter,
        *,
        redraw_seconds: float = 0.25,
        log_seconds: float = 30.0,
        window_seconds: float = 10.0,
        unit: str = "iterations",
        rate_unit: str = "it/s",
    ):
        self._total = total
        self._unit, self._rate_unit = unit, rate_unit  # nst-tf-train counts "steps", "steps/s"
        self._stream = sys.stderr if stream is None else stream
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._clock = clock
        self._redraw_seconds = redraw_seconds
        self._log_seconds = log_seconds
        self._window_seconds = window_seconds
        now = clock()
        self._samples = collections.deque([(start, now)])  # (iterations done, time)
        self._last_emit = now
        self._drawn = ""  # the text now on the terminal line, "" when none

    def update(self, iteration: int) -> None:
        """After update `iteration` (0-based, the paper's numbering): iteration + 1 are done."""
        now = self._clock()
        self._samples.append((iteration + 1, now))
        while len(self._samples) > 2 and now - self._samples[1][1] >= self._window_seconds:
            self._samples.popleft()
        if self._tty:
            if not self._drawn or now - self._last_emit >= self._redraw_seconds:
                self._draw(self.line())
                self._last_emit = now
        elif now - self._last_emit >= self._log_seconds:
            logging.info("%s", self.line())
            self._last_emit = now

    def line(self) -> str:
        """E.g. "progress: 120/2000 iterations (6%), 3.41 it/s, ETA 9:11"."""
        done, now = self._samples[-1]
        first_done, then = self._samples[0]
        share = 100 * done // max(self._total, 1)
        text = f"progress: {done}/{self._total} {self._unit} ({share}%)"
        if done == first_done or now <= then:
            return f"{text}, - {self._rate_unit}, ETA -"
        rate = (done - first_done) / (now - then)
        eta = _duration(max(0, self._total - done) / rate)
        return f"{text}, {rate:.3g} {self._rate_unit}, ETA {eta}"

    def clear(self) -> None:
        """Blanks the drawn line, so a log line printed next starts at the left margin."""
        if self._drawn:
            self._stream.write("\r" + " " * len(self._drawn) + "\r")
            self._stream.flush()
            self._drawn = ""

    def close(self) -> None:
        """Leaves the terminal as it was: the run's last log lines follow on a clean line."""
        self.clear()

    def _draw(self, text: str) -> None:
        padding = " " * max(0, len(self._drawn) - len(text))  # covers a longer previous line
        self._stream.write("\r" + text + padding)
        self._stream.flush()
        self._drawn = text


def _duration(seconds: float) -> str:
    """M:SS, or H:MM:SS from an hour on, as tqdm writes it."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

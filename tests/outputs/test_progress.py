"""The progress line: rate over recent steps, ETA, terminal redraws and quiet CI logging."""

from __future__ import annotations

import io

import pytest

from nst_tf.outputs import progress as progress_module
from nst_tf.outputs.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _draws(stream):
    """The texts drawn with a leading carriage return (clears are blank and left out)."""
    return [part.rstrip() for part in stream.getvalue().split("\r") if part.strip()]


@pytest.fixture
def logged(monkeypatch):
    lines = []
    monkeypatch.setattr(
        progress_module.logging, "info", lambda fmt, *args: lines.append(fmt % args)
    )
    return lines


def test_rate_and_eta():
    clock = _Clock()
    progress = Progress(total=2000, stream=io.StringIO(), clock=clock)
    assert progress.line() == "progress: 0/2000 iterations (0%), - it/s, ETA -"
    for iteration in range(120):
        clock.now += 0.25
        progress.update(iteration)
    # 4 it/s over the last 10 s; 1880 left -> 470 s.
    assert progress.line() == "progress: 120/2000 iterations (6%), 4 it/s, ETA 7:50"


def test_rate_forgets_a_slow_first_step():
    clock = _Clock()
    progress = Progress(total=10000, stream=io.StringIO(), clock=clock, window_seconds=10)
    clock.now = 30.0  # tracing and compiling the step
    progress.update(0)
    assert progress.line().endswith(", 0.0333 it/s, ETA 83:19:30")
    for iteration in range(1, 201):
        clock.now += 0.1
        progress.update(iteration)
    assert progress.line() == "progress: 201/10000 iterations (2%), 10 it/s, ETA 16:20"


def test_resume_counts_only_this_process():
    clock = _Clock()
    progress = Progress(total=200, start=100, stream=io.StringIO(), clock=clock)
    clock.now = 2.0
    progress.update(100)
    progress.update(101)
    assert progress.line() == "progress: 102/200 iterations (51%), 1 it/s, ETA 1:38"


def test_terminal_redraws_one_line_at_most_four_times_a_second(logged):
    stream, clock = _Terminal(), _Clock()
    progress = Progress(total=2000, stream=stream, clock=clock)
    for iteration in range(128):  # 128 it/s for one second, in steps a float holds exactly
        clock.now += 1 / 128
        progress.update(iteration)
    assert stream.getvalue().count("\r") == 4  # after iterations 0, 32, 64 and 96
    assert "\n" not in stream.getvalue() and logged == []
    assert _draws(stream)[-1] == "progress: 97/2000 iterations (4%), 128 it/s, ETA 0:15"


def test_terminal_line_is_cleared_and_redrawn_at_once_after_a_clear():
    stream, clock = _Terminal(), _Clock()
    progress = Progress(total=100, stream=stream, clock=clock)
    clock.now = 1.0
    progress.update(0)
    first = "progress: 1/100 iterations (1%), 1 it/s, ETA 1:39"
    assert stream.getvalue() == "\r" + first
    progress.clear()
    assert stream.getvalue() == f"\r{first}\r{' ' * len(first)}\r"
    progress.clear()  # nothing drawn: nothing written
    clock.now = 1.01
    progress.update(1)  # within 0.25 s of the last draw, but the line was gone
    assert _draws(stream) == [first, "progress: 2/100 iterations (2%), 1.98 it/s, ETA 0:49"]
    progress.close()
    assert stream.getvalue().endswith("\r" + " " * len(_draws(stream)[-1]) + "\r")


def test_terminal_shorter_line_covers_the_longer_one():
    stream, clock = _Terminal(), _Clock()
    progress = Progress(total=10, stream=stream, clock=clock)
    clock.now = 3.0
    progress.update(0)
    clock.now = 6.0
    progress.update(5)
    assert stream.getvalue().split("\r")[1:] == [
        "progress: 1/10 iterations (10%), 0.333 it/s, ETA 0:27",
        "progress: 6/10 iterations (60%), 1 it/s, ETA 0:04" + " " * 4,
    ]


def test_off_a_terminal_logs_every_thirty_seconds(logged):
    stream, clock = io.StringIO(), _Clock()
    progress = Progress(total=1000, stream=stream, clock=clock)
    for iteration in range(100):  # one iteration a second
        clock.now += 1.0
        progress.update(iteration)
    progress.close()
    assert logged == [
        "progress: 30/1000 iterations (3%), 1 it/s, ETA 16:10",
        "progress: 60/1000 iterations (6%), 1 it/s, ETA 15:40",
        "progress: 90/1000 iterations (9%), 1 it/s, ETA 15:10",
    ]
    assert stream.getvalue() == ""


def test_a_stream_without_isatty_counts_as_no_terminal(logged):
    class Sink:
        def write(self, text):
            raise AssertionError("wrote to a stream that is not a terminal")

    clock = _Clock()
    progress = Progress(total=10, stream=Sink(), clock=clock, log_seconds=5)
    clock.now = 6.0
    progress.update(0)
    progress.close()
    assert logged == ["progress: 1/10 iterations (10%), 0.167 it/s, ETA 0:54"]


def test_eta_past_an_hour():
    clock = _Clock()
    progress = Progress(total=10000, stream=io.StringIO(), clock=clock)
    clock.now = 2.0
    progress.update(0)
    assert progress.line() == "progress: 1/10000 iterations (0%), 0.5 it/s, ETA 5:33:18"

"""The run's writers: paper log lines, trace.csv, TensorBoard events, snapshots, fan-out."""

from __future__ import annotations

import glob
import io
import os

import imageio.v3 as iio
import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.outputs import writers
from nst_tf.outputs.progress import Progress

LAYER_TERMS = {f"style/conv{i}_1": 0.5 * i for i in range(1, 6)}


def _scalars(total, content, style, seconds, **extra):
    return {"total": total, "content": content, "style": style, **extra, "seconds": seconds}


def _text(path):
    with open(path) as handle:
        return handle.read()


# ----------------------------------------------------------------------------- trace.csv


def test_trace_columns_paper_first_then_terms_then_seconds(tmp_path):
    path = str(tmp_path / "trace.csv")
    trace = writers.TraceCsvWriter(path)
    trace.write_scalars(0, _scalars(5050000000.0, 7877.67, 126234000.0, 1.5, **LAYER_TERMS, tv=3))
    assert _text(path).splitlines() == [
        "iteration,total_cost,content_cost,style_cost,style/conv1_1,style/conv2_1,style/conv3_1,"
        "style/conv4_1,style/conv5_1,tv,seconds",
        "0,5.05e+09,7877.67,126234000,0.5,1,1.5,2,2.5,3,1.500",
    ]


def test_trace_is_complete_on_disk_after_every_row(tmp_path, monkeypatch):
    path = str(tmp_path / "trace.csv")
    trace = writers.TraceCsvWriter(path)
    header = "iteration,total_cost,content_cost,style_cost,seconds\n"
    assert _text(path) == header  # a stale trace of an earlier run is gone at once
    trace.write_scalars(0, _scalars(1.25, 0.5, 0.0625, 12.3456))
    assert _text(path) == header + "0,1.25,0.5,0.0625,12.346\n"
    trace.write_scalars(20, _scalars(0.1234567891234, 1e-9, 3.5e12, 20))
    assert _text(path) == header + "0,1.25,0.5,0.0625,12.346\n20,0.123456789,1e-09,3.5e+12,20.000\n"
    assert os.listdir(tmp_path) == ["trace.csv"]
    # A write that fails half-way (here: the rename) leaves the previous complete file.
    before = _text(path)
    monkeypatch.setattr(os, "replace", lambda *_: (_ for _ in ()).throw(OSError(28, "No space")))
    with pytest.raises(UserError, match=r"cannot write .*trace\.csv"):
        trace.write_scalars(40, _scalars(1, 1, 1, 40))
    assert _text(path) == before
    assert os.listdir(tmp_path) == ["trace.csv"]


def test_trace_term_first_seen_late_leaves_earlier_cells_empty(tmp_path):
    path = str(tmp_path / "trace.csv")
    trace = writers.TraceCsvWriter(path)
    trace.write_scalars(0, _scalars(3, 2, 1, 0.5))
    trace.write_scalars(20, _scalars(6, 5, 4, 1.5, tv=0.25))
    assert _text(path).splitlines() == [
        "iteration,total_cost,content_cost,style_cost,tv,seconds",
        "0,3,2,1,,0.500",
        "20,6,5,4,0.25,1.500",
    ]
    assert writers.read_trace(path) == trace.rows
    assert trace.rows == [
        {"iteration": 0, "total_cost": 3, "content_cost": 2, "style_cost": 1, "seconds": 0.5},
        {
            "iteration": 20,
            "total_cost": 6,
            "content_cost": 5,
            "style_cost": 4,
            "tv": 0.25,
            "seconds": 1.5,
        },
    ]


def test_trace_row_without_a_total_or_seconds_is_a_bug(tmp_path):
    trace = writers.TraceCsvWriter(str(tmp_path / "trace.csv"))
    with pytest.raises(ValueError, match="iteration 3 lacks total_cost, seconds"):
        trace.write_scalars(3, {"content": 1.0, "style": 2.0})
    trace.write_scalars(4, {"total": 3.0, "content": 1.0, "seconds": 0.5})  # no style term
    assert trace.rows == [{"iteration": 4, "total_cost": 3.0, "content_cost": 1.0, "seconds": 0.5}]


def test_read_trace_round_trips_and_reads_the_old_five_columns(tmp_path):
    path = str(tmp_path / "trace.csv")
    trace = writers.TraceCsvWriter(path)
    trace.write_scalars(0, _scalars(1234.5, 12.25, 30.5, 0.125, **LAYER_TERMS))
    trace.write_scalars(20, _scalars(0.001953125, 1e-9, 3.5e12, 2.5, **LAYER_TERMS))
    back = writers.read_trace(path)
    assert back == trace.rows
    assert back[1]["style/conv5_1"] == 2.5 and isinstance(back[1]["iteration"], int)
    old = tmp_path / "old.csv"
    old.write_text("iteration,total_cost,content_cost,style_cost,seconds\n0,5.05e+09,7877.67,1,2\n")
    assert writers.read_trace(str(old)) == [
        {"iteration": 0, "total_cost": 5.05e9, "content_cost": 7877.67, "style_cost": 1.0,
         "seconds": 2.0}
    ]  # fmt: skip


def test_read_trace_errors_name_the_file(tmp_path):
    with pytest.raises(UserError, match=r"cannot read trace .*missing\.csv"):
        writers.read_trace(str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match=r"bad\.csv is not a trace\.csv"):
        writers.read_trace(str(bad))
    bad.write_text("")
    with pytest.raises(UserError, match=r"bad\.csv is not a trace\.csv"):
        writers.read_trace(str(bad))
    bad.write_text("iteration,total_cost,content_cost,style_cost,seconds\n0,1,2,x,4\n")
    with pytest.raises(UserError, match=r"bad\.csv line 2 is not a trace row"):
        writers.read_trace(str(bad))


def _four_rows(path, **extra):
    trace = writers.TraceCsvWriter(path)
    for iteration in (0, 20, 40, 60):
        trace.write_scalars(iteration, _scalars(iteration + 3, 2, 1, iteration / 10, **extra))


def test_keep_before_replaces_rows_after_the_checkpoint(tmp_path):
    path = str(tmp_path / "trace.csv")
    _four_rows(path, **LAYER_TERMS)
    resumed = writers.TraceCsvWriter(path, keep_before=40)
    # Killed again before its first row, the file already holds only the checkpoint's rows.
    assert [row["iteration"] for row in writers.read_trace(path)] == [0, 20]
    resumed.write_scalars(40, _scalars(99, 2, 1, 4.5, **LAYER_TERMS))
    resumed.write_scalars(60, _scalars(98, 2, 1, 6.5, **LAYER_TERMS))
    rows = writers.read_trace(path)
    assert [row["iteration"] for row in rows] == [0, 20, 40, 60]
    assert [row["total_cost"] for row in rows] == [3, 23, 99, 98]
    assert rows == resumed.rows and rows[0]["style/conv3_1"] == 1.5


def test_keep_before_on_a_missing_file_starts_empty(tmp_path):
    path = str(tmp_path / "trace.csv")
    trace = writers.TraceCsvWriter(path, keep_before=40)
    assert trace.rows == [] and writers.read_trace(path) == []
    trace.write_scalars(40, _scalars(1, 2, 3, 4, tv=5))
    assert [row["iteration"] for row in writers.read_trace(path)] == [40]


def test_without_keep_before_an_old_trace_is_replaced(tmp_path):
    path = str(tmp_path / "trace.csv")
    _four_rows(path)
    assert writers.TraceCsvWriter(path).rows == []
    assert writers.read_trace(path) == []


def test_keep_before_refuses_a_run_with_other_columns(tmp_path):
    path = str(tmp_path / "trace.csv")
    _four_rows(path, **LAYER_TERMS)
    resumed = writers.TraceCsvWriter(path, keep_before=40)
    with pytest.raises(
        UserError,
        match=r"trace\.csv has columns .*style/conv5_1,seconds but "
        r"this run writes iteration,total_cost,content_cost,style_cost,seconds",
    ):
        resumed.write_scalars(40, _scalars(1, 2, 3, 4))  # fmt: skip
    assert [row["iteration"] for row in writers.read_trace(path)] == [0, 20]


def test_keep_before_with_no_row_kept_has_nothing_to_mismatch(tmp_path):
    path = str(tmp_path / "trace.csv")
    _four_rows(path, **LAYER_TERMS)
    resumed = writers.TraceCsvWriter(path, keep_before=0)
    resumed.write_scalars(0, _scalars(1, 2, 3, 4))
    assert _text(path).splitlines()[0] == "iteration,total_cost,content_cost,style_cost,seconds"


def test_keep_before_on_a_file_that_is_not_a_trace_names_it(tmp_path):
    path = tmp_path / "trace.csv"
    path.write_text("hello\n")
    with pytest.raises(UserError, match=r"trace\.csv is not a trace\.csv"):
        writers.TraceCsvWriter(str(path), keep_before=20)


# ----------------------------------------------------------------------------- paper log


def test_paper_log_lines_are_the_papers(monkeypatch):
    lines = []
    monkeypatch.setattr(writers.logging, "info", lambda fmt, *args: lines.append(fmt % args))
    log = writers.PaperLogWriter()
    log.write_scalars(20, _scalars(940000000.0, 15.5, 23500000.0, 3.25, **LAYER_TERMS, tv=1))
    log.write_images(20, {"generated": np.zeros((2, 2, 3), np.uint8)})
    assert lines == [
        "Iteration 20 :",
        "total cost = 9.4e+08",
        "content cost = 15.5",
        "style cost = 2.35e+07",
    ]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_paper_log_clears_the_progress_line_first(monkeypatch):
    stream = _Terminal()
    monkeypatch.setattr(writers.logging, "info", lambda fmt, *args: stream.write(fmt % args + "\n"))
    progress = Progress(total=40, stream=stream, clock=iter([0.0, 1.0]).__next__)
    progress.update(0)
    writers.PaperLogWriter(progress).write_scalars(0, _scalars(3, 2, 1, 1.0))
    drawn = "progress: 1/40 iterations (2%), 1 it/s, ETA 0:39"
    assert stream.getvalue() == (
        f"\r{drawn}\r{' ' * len(drawn)}\rIteration 0 :\ntotal cost = 3\n"
        "content cost = 2\nstyle cost = 1\n"
    )


# ----------------------------------------------------------------------------- TensorBoard


def _events(logdir):
    import tensorflow as tf

    found = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                found.append((event.step, value.tag, value))
    return found


def test_tensorboard_events_read_back(tmp_path):
    import tensorflow as tf

    logdir = str(tmp_path / "tensorboard")
    board = writers.TensorBoardWriter(logdir)
    pixels = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    board.write_scalars(0, _scalars(5.5, 2.25, 0.125, 1.0, **{"style/conv1_1": 0.0625}))
    board.write_images(0, {"generated": pixels})
    board.write_scalars(20, _scalars(1.5, 0.75, 0.5, 2.0, **{"style/conv1_1": 0.25}))
    board.close()
    events = _events(logdir)

    scalars = [
        (step, tag, float(tf.make_ndarray(value.tensor)))
        for step, tag, value in events
        if value.metadata.plugin_data.plugin_name == "scalars"
    ]
    assert scalars == [
        (0, "total", 5.5),
        (0, "content", 2.25),
        (0, "style", 0.125),
        (0, "style/conv1_1", 0.0625),
        (20, "total", 1.5),
        (20, "content", 0.75),
        (20, "style", 0.5),
        (20, "style/conv1_1", 0.25),
    ]  # "seconds" is every event's wall time already
    dtypes = {v.tensor.dtype for *_, v in events if v.metadata.plugin_data.plugin_name == "scalars"}
    assert dtypes == {tf.float32.as_datatype_enum}

    images = [(s, t, v) for s, t, v in events if v.metadata.plugin_data.plugin_name == "images"]
    assert [(step, tag) for step, tag, _ in images] == [(0, "generated")]
    width, height, png = tf.make_ndarray(images[0][2].tensor)
    assert (width, height) == (b"5", b"4")
    np.testing.assert_array_equal(iio.imread(png, extension=".png"), pixels)


def test_tensorboard_flush_makes_events_readable_while_open(tmp_path):
    logdir = str(tmp_path / "tensorboard")
    board = writers.TensorBoardWriter(logdir)
    board.write_scalars(7, {"total": 1.0, "seconds": 0.5})
    board.flush()
    assert [(step, tag) for step, tag, _ in _events(logdir)] == [(7, "total")]
    board.close()


def test_tensorboard_refuses_an_image_that_is_not_uint8_rgb(tmp_path):
    board = writers.TensorBoardWriter(str(tmp_path / "tensorboard"))
    with pytest.raises(ValueError, match=r"'generated' is float32 \(2, 2, 3\)"):
        board.write_images(0, {"generated": np.zeros((2, 2, 3), np.float32)})
    board.close()


# ----------------------------------------------------------------------------- snapshots


def test_image_files_are_the_papers_snapshots(tmp_path):
    snapshots = writers.ImageFileWriter(str(tmp_path))
    pixels = np.random.RandomState(0).randint(0, 256, (6, 7, 3)).astype(np.uint8)
    snapshots.write_images(20, {"generated": pixels, "side_by_side": pixels[:, :3]})
    snapshots.write_scalars(20, _scalars(1, 2, 3, 4))
    assert os.listdir(tmp_path) == ["20.png"]
    np.testing.assert_array_equal(iio.imread(tmp_path / "20.png"), pixels)


# ----------------------------------------------------------------------------- fan-out


class _Recorder:
    def __init__(self, name, calls):
        self._name, self._calls = name, calls

    def write_scalars(self, step, scalars):
        self._calls.append((self._name, "scalars", step, dict(scalars)))

    def write_images(self, step, images):
        self._calls.append((self._name, "images", step, sorted(images)))

    def flush(self):
        self._calls.append((self._name, "flush"))

    def close(self):
        self._calls.append((self._name, "close"))


def test_multi_writer_fans_out_in_order():
    calls = []
    multi = writers.MultiWriter([_Recorder("a", calls), _Recorder("b", calls)])
    multi.write_scalars(20, {"total": 1.0})
    multi.write_images(20, {"generated": np.zeros((1, 1, 3), np.uint8)})
    multi.flush()
    multi.close()
    assert calls == [
        ("a", "scalars", 20, {"total": 1.0}),
        ("b", "scalars", 20, {"total": 1.0}),
        ("a", "images", 20, ["generated"]),
        ("b", "images", 20, ["generated"]),
        ("a", "flush"),
        ("b", "flush"),
        ("a", "close"),
        ("b", "close"),
    ]


def test_every_writer_has_the_interface(tmp_path):
    board = writers.TensorBoardWriter(str(tmp_path / "tensorboard"))
    every = [
        writers.PaperLogWriter(),
        writers.TraceCsvWriter(str(tmp_path / "trace.csv")),
        board,
        writers.ImageFileWriter(str(tmp_path)),
        writers.MultiWriter([]),
    ]
    assert all(isinstance(writer, writers.MetricWriter) for writer in every)
    assert not isinstance(object(), writers.MetricWriter)
    board.close()

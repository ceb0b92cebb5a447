"""Where a run's numbers and images go: one small interface, one writer per destination.

The loop hands every observation to a `MetricWriter` and does not care whether it becomes the
paper's log lines, a row of trace.csv, a TensorBoard event or a PNG snapshot, so a new
destination is a new class here and never a change to the loop. The shape follows clu's
`metric_writers` interface (copied, not depended on).

`step` is always the paper's iteration number: "Iteration i" holds the costs of the image after
update i. `scalars` holds the run's named terms in order: "total", "content", "style" (the
paper's), then later terms such as "style/conv1_1" or "tv", then "seconds" (wall seconds since
the run started, not a cost). Images are uint8 [H, W, 3], already denormalized by the caller so
every writer sees the same pixels.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from absl import logging

from nst_tf.errors import UserError
from nst_tf.files import write_text
from nst_tf.images.io import save_image
from nst_tf.outputs.progress import Progress

GENERATED = "generated"  # the image name whose snapshots are the paper's <i>.png files
SECONDS = "seconds"
PAPER_TERMS = {"total": "total_cost", "content": "content_cost", "style": "style_cost"}
ITERATION = "iteration"
BASE_COLUMNS = (ITERATION, *PAPER_TERMS.values(), SECONDS)
# Every row has these; an objective without a paper term (Li & Wand's has no Gram style term)
# leaves that column's cells empty, so every trace.csv has the paper's columns first.
REQUIRED_COLUMNS = (ITERATION, PAPER_TERMS["total"], SECONDS)


@runtime_checkable
class MetricWriter(Protocol):
    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        """The named terms of iteration `step`, in the run's order."""

    def write_images(self, step: int, images: Mapping[str, np.ndarray]) -> None:
        """Named uint8 [H, W, 3] images of iteration `step`."""

    def flush(self) -> None:
        """Makes everything written so far visible to readers (other processes, TensorBoard)."""

    def close(self) -> None:
        """Flushes and releases the destination; the writer is not used afterwards."""


class PaperLogWriter:
    """The paper's four log lines per logged iteration, text unchanged, via absl logging.

    Only the paper's three costs are printed (those the objective has), so a run's log reads
    like the paper's whatever other terms it has (those are in trace.csv and TensorBoard). A
    `Progress` line drawn on the same terminal is cleared first, so the block never lands in
    the middle of it.
    """

    def __init__(self, progress: Progress | None = None):
        self._progress = progress

    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        if self._progress is not None:
            self._progress.clear()
        logging.info("Iteration %d :", step)
        for name in PAPER_TERMS:
            if name in scalars:
                logging.info("%s cost = %g", name, scalars[name])

    def write_images(self, step: int, images: Mapping[str, np.ndarray]) -> None:
        pass  # the paper's log has no images

    def flush(self) -> None:
        pass  # absl logging writes each line as it comes

    def close(self) -> None:
        pass


class TraceCsvWriter:
    """trace.csv: the paper's three costs first, then every other term, then seconds.

    The file is rewritten whole and atomically after every row (it is a few kilobytes), so a
    kill at any moment leaves a complete, parseable trace. Columns are the paper's three, then
    other terms in the order first seen, then `seconds`; a term first seen late leaves earlier
    rows' cells empty rather than rewriting history.

    `keep_before=k` is for resuming from a checkpoint at iteration k: rows logged before k are
    the checkpointed run's and stay, rows from k on were computed after the checkpoint and are
    replaced by the resumed run's, never duplicated. A resumed run whose terms differ from the
    kept rows' columns would mix two runs in one table, so its first row is refused.
    """

    def __init__(self, path: str, keep_before: int | None = None):
        self.path = path
        self._extra: list[str] = []  # term columns beyond the paper's three, first-seen order
        self._rows: list[dict[str, float]] = []
        self._expected: tuple[str, ...] | None = None  # the kept rows' header, until checked
        if keep_before is not None and os.path.exists(path):
            header, rows = _read(path)
            self._rows = [row for row in rows if row[ITERATION] < keep_before]
            if self._rows:
                self._extra = [column for column in header if column not in BASE_COLUMNS]
                self._expected = header
        self._write()

    @property
    def rows(self) -> list[dict[str, float]]:
        """The table so far, as `read_trace` returns it (iteration an int, empty cells absent)."""
        return [dict(row) for row in self._rows]

    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        row: dict[str, float] = {ITERATION: int(step)}
        for name, value in scalars.items():
            row[PAPER_TERMS.get(name, name)] = float(value)
        missing = [column for column in REQUIRED_COLUMNS if column not in row]
        if missing:
            raise ValueError(f"trace row for iteration {step} lacks {', '.join(missing)}")
        new = [column for column in row if column not in BASE_COLUMNS]
        if self._expected is not None:
            if _header(new) != self._expected:
                raise UserError(
                    f"{self.path} has columns {','.join(self._expected)} but this run writes "
                    f"{','.join(_header(new))}; resume with the config that wrote it or use a "
                    "new --output_dir"
                )
            self._expected = None
        self._extra += [column for column in new if column not in self._extra]
        self._rows.append(row)
        self._write()

    def write_images(self, step: int, images: Mapping[str, np.ndarray]) -> None:
        pass  # a table of numbers

    def flush(self) -> None:
        pass  # every row is already on disk

    def close(self) -> None:
        pass

    def _write(self) -> None:
        header = _header(self._extra)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for row in self._rows:
            cells = [str(row[ITERATION])]
            cells += [f"{row[c]:.9g}" if c in row else "" for c in header[1:-1]]
            cells.append(f"{row[SECONDS]:.3f}")
            writer.writerow(cells)
        write_text(self.path, out.getvalue())


def _header(extra: Sequence[str]) -> tuple[str, ...]:
    return (ITERATION, *PAPER_TERMS.values(), *extra, SECONDS)


def _read(path: str) -> tuple[tuple[str, ...], list[dict[str, float]]]:
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            header = tuple(reader.fieldnames or ())
            records = list(reader)
    except OSError as err:
        raise UserError(f"cannot read trace {path}: {err.strerror}") from None
    if set(BASE_COLUMNS) - set(header):
        raise UserError(f"{path} is not a trace.csv (its header lacks {', '.join(BASE_COLUMNS)})")
    rows = []
    for line, record in enumerate(records, start=2):
        try:
            row: dict[str, float] = {ITERATION: int(record[ITERATION])}
            row.update({c: float(record[c]) for c in header[1:] if record[c] not in ("", None)})
        except ValueError as err:
            raise UserError(f"{path} line {line} is not a trace row ({err})") from None
        rows.append(row)
    return header, rows


def read_trace(path: str) -> list[dict[str, float]]:
    """trace.csv -> rows keyed by column (iteration an int, costs floats, empty cells absent)."""
    return _read(path)[1]


class TensorBoardWriter:
    """TensorBoard event files under `logdir`: each scalar term, and the snapshots as images.

    Written with TensorFlow's own `tf.summary.write` in the exact form of TensorBoard's scalar
    and image summaries (plugin name, float32 scalar; [width, height, PNG] strings), because
    TensorFlow 2.21's `tf.summary.scalar` and `tf.summary.image` need the `tensorboard` package,
    which only viewing needs. One file writer lives for the whole run; events are flushed every
    few calls and on `flush`/`close`.

    "seconds" is not logged: every event already carries its wall time, which TensorBoard's
    "Relative" and "Wall" axes show, and a clock in the scalars would crowd the cost charts.
    """

    def __init__(self, logdir: str):
        import tensorflow as tf  # the entry point sets TensorFlow's log level before this

        self._tf = tf
        self._writer = tf.summary.create_file_writer(logdir)
        self._scalar = _plugin_metadata(tf, "scalars")
        self._image = _plugin_metadata(tf, "images")

    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        tf = self._tf
        with self._writer.as_default():
            for name, value in scalars.items():
                if name != SECONDS:
                    tensor = tf.constant(value, tf.float32)
                    tf.summary.write(name, tensor, step=step, metadata=self._scalar)

    def write_images(self, step: int, images: Mapping[str, np.ndarray]) -> None:
        tf = self._tf
        with self._writer.as_default():
            for name, pixels in images.items():
                if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
                    raise ValueError(
                        f"image {name!r} is {pixels.dtype} {pixels.shape}, not [H,W,3] uint8"
                    )
                height, width = pixels.shape[:2]
                png = tf.io.encode_png(pixels).numpy()
                tensor = tf.constant([str(width).encode(), str(height).encode(), png])
                tf.summary.write(name, tensor, step=step, metadata=self._image)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


def _plugin_metadata(tf, plugin_name: str):
    """What TensorBoard's dashboards select summaries by (their plugin data has no fields set)."""
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = plugin_name
    return metadata


class ImageFileWriter:
    """The paper's `<i>.png` snapshots of the generated image in `output_dir`, written atomically.

    Only the image named "generated" is a snapshot; other images (a side-by-side, a mask) may
    go to TensorBoard without adding files the paper's layout does not have.
    """

    def __init__(self, output_dir: str):
        self._output_dir = output_dir

    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        pass  # pictures only

    def write_images(self, step: int, images: Mapping[str, np.ndarray]) -> None:
        if GENERATED in images:
            save_image(os.path.join(self._output_dir, f"{step}.png"), images[GENERATED])

    def flush(self) -> None:
        pass  # each file is complete when written

    def close(self) -> None:
        pass


class MultiWriter:
    """Hands every call to each writer in order, so the loop holds one writer whatever is on."""

    def __init__(self, writers: Sequence[MetricWriter]):
        self._writers = tuple(writers)

    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        for writer in self._writers:
            writer.write_scalars(step, scalars)

    def write_images(self, step: int, images: Mapping[str, np.ndarray]) -> None:
        for writer in self._writers:
            writer.write_images(step, images)

    def flush(self) -> None:
        for writer in self._writers:
            writer.flush()

    def close(self) -> None:
        for writer in self._writers:
            writer.close()

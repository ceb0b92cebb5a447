"""One run's output folder, owned by one module for `nst-tf` and every `nst-tf-batch` job.

A folder says what is left to do (`RunFolder.plan`): no config.json, start; a config.json of
other settings (only a larger --num_iterations may differ), refuse, naming each difference; a
completed or diverged run, skip (nst-tf-batch; nst-tf starts such a folder afresh unless told
to resume); a run with a checkpoint, resume from the newest intact one. Then the folder holds,
as each becomes final: config.json (status "running" first, so even a killed run can be
resumed and checked against), initial.png (Figure 4's start), `<i>.png` snapshots, trace.csv
after every logged iteration, TensorBoard events, checkpoints, and at the end
generated_image.jpg, side_by_side.png and config.json with the final status. config.json has
the same keys whichever command wrote it. Every file is written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from absl import logging

from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.outputs import record
from nst_tf.outputs.checkpoint import CHECKPOINT_DIR, RunCheckpoints, intact_checkpoints
from nst_tf.outputs.writers import (
    GENERATED,
    ImageFileWriter,
    MetricWriter,
    MultiWriter,
    PaperLogWriter,
    TensorBoardWriter,
    TraceCsvWriter,
)

GENERATED_IMAGE = "generated_image.jpg"
INITIAL_IMAGE = "initial.png"
SIDE_BY_SIDE = "side_by_side.png"
TRACE_FILE = "trace.csv"
TENSORBOARD_DIR = "tensorboard"
RESUMABLE_CHANGES = ("num_iterations",)
# How a command treats a folder that holds a run: nst-tf starts afresh ("never") or, with
# --resume, continues ("always"); nst-tf-batch continues or skips as the folder says ("auto").
RESUME_MODES = ("never", "always", "auto")


@dataclasses.dataclass(frozen=True)
class Plan:
    """What the folder asks for: "start", "resume" (from `start`), "skip" or "refuse"."""

    action: str
    start: int = 0
    checkpoint: str | None = None  # the intact checkpoint a resume restores
    note: str = ""
    saved: Mapping[str, Any] | None = None  # config.json as found


def differences(
    saved: Mapping[str, Any],
    current: Mapping[str, Any],
    allowed: Sequence[str] = (),
    defaults: Mapping[str, Any] | None = None,
) -> list[str]:
    """Settings whose value differs between a saved config.json's and now, as 'name: a -> b'.

    A setting the saved run did not have (it came with a later version) counts as `defaults`'
    value, the paper's, which is what that run used: a folder stays resumable across versions.
    """
    current = json.loads(json.dumps(dict(current)))
    saved = json.loads(json.dumps({**(defaults or {}), **saved}))
    return [
        f"{name}: {saved.get(name)!r} -> {current.get(name)!r}"
        for name in sorted(set(current) | set(saved))
        if name not in allowed and saved.get(name) != current.get(name)
    ]


class RunFolder:
    """A run's folder and its settings (the config as a dict, what config.json records)."""

    def __init__(
        self, path: str, settings: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
    ):
        self.path = path
        self.settings = dict(settings)
        self.defaults = defaults  # what a setting missing from an older config.json was
        self.weights: dict | None = None  # provenance, recorded in config.json
        self.precision: dict[str, str] | None = None

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def check_writable(self) -> None:
        try:
            os.makedirs(self.path, exist_ok=True)
            probe = self.file(f".write_test{os.getpid()}")
            with open(probe, "w"):
                pass
            os.remove(probe)
        except OSError as err:
            raise UserError(
                f"cannot write to output directory {self.path} ({err.strerror}); pass a "
                "writable --output_dir"
            ) from None

    def plan(self, total: int, resume: str, allowed: Sequence[str] = RESUMABLE_CHANGES) -> Plan:
        """What to do with this folder for a run of `total` iterations (module doc)."""
        if resume not in RESUME_MODES:
            raise ValueError(f"resume must be one of {RESUME_MODES}, got {resume!r}")
        exists = os.path.exists(self.file(record.CONFIG_FILE))
        if resume == "never" or (resume == "auto" and not exists):
            return Plan("start")
        saved = record.read_record(self.path)  # one line if missing or damaged
        changed = differences(saved["config"], self.settings, allowed, self.defaults)
        if changed:
            return Plan("refuse", note=self._refusal(changed, resume), saved=saved)
        done, status = int(saved.get("completed_iterations", 0)), saved.get("status")
        if resume == "auto" and (status == "diverged" or (status == "completed" and done >= total)):
            return Plan("skip", done, note=f"{status} before", saved=saved)
        found = intact_checkpoints(self.file(CHECKPOINT_DIR))
        if not found:
            if resume == "auto":
                return Plan("start", saved=saved)  # killed before its first checkpoint
            raise UserError(
                f"nothing to resume: {self.file(CHECKPOINT_DIR)} holds no intact checkpoint; "
                "run without --resume to start afresh"
            )
        checkpoint, updates = found[0]
        if updates > total:
            note = f"its checkpoint is at iteration {updates}; pass a larger --num_iterations"
            if resume == "always":
                raise UserError(f"{self.path}: {note}")
            return Plan("refuse", updates, note=note, saved=saved)
        return Plan("resume", updates, checkpoint, saved=saved)

    def _refusal(self, changed: list[str], resume: str) -> str:
        if resume == "always":
            raise UserError(
                f"cannot resume {self.path} with other settings ({'; '.join(changed)}); repeat "
                "the original flags (only a larger --num_iterations may change, and not with "
                "--scales)"
            )
        return (
            f"{self.path} holds a run with other settings ({'; '.join(changed)}); use another "
            "--output_dir or delete that folder"
        )

    def begin(self, plan: Plan, initial_pixels: np.ndarray | None) -> None:
        """A fresh start clears an earlier run's checkpoints and writes initial.png."""
        self.check_writable()
        if plan.action == "start":
            checkpoints = self.file(CHECKPOINT_DIR)
            if os.path.isdir(checkpoints):
                logging.info("Starting afresh: removing the earlier run's %s", checkpoints)
                shutil.rmtree(checkpoints)
            if initial_pixels is not None:
                io.save_image(self.file(INITIAL_IMAGE), initial_pixels)
        else:
            logging.info("Resuming %s at iteration %d", self.path, plan.start)

    def outputs(
        self,
        plan: Plan,
        keep_checkpoints: int,
        tensorboard: bool,
        progress: Any = None,
        paper_log: bool = True,
    ) -> RunOutputs:
        """The loop's hooks for this folder: writers, checkpoints, progress, wall time.

        `progress` (nst-tf's own line, or nst-tf-batch's across jobs) takes `update(iteration)`
        after every step and `clear()` before the paper's log lines; a batched group of jobs
        logs no paper lines (paper_log=False): they would interleave.
        """
        trace = TraceCsvWriter(
            self.file(TRACE_FILE), keep_before=plan.start - 1 if plan.start else None
        )
        writers: list[MetricWriter] = [trace, ImageFileWriter(self.path)]
        if paper_log:
            writers.insert(0, PaperLogWriter(progress))
        if tensorboard:
            writers.append(TensorBoardWriter(self.file(TENSORBOARD_DIR)))
        return RunOutputs(self, trace, MultiWriter(writers), keep_checkpoints, progress)

    def read_record(self) -> dict[str, Any]:
        return record.read_record(self.path)

    def write_record(self, status: str, completed: int, seconds: float, **extra: Any) -> None:
        record.write_record(
            self.path,
            self.settings,
            status,
            completed,
            seconds,
            weights=self.weights,
            precision=self.precision,
            **extra,
        )

    def finish(
        self,
        status: str,
        pixels: np.ndarray,
        completed: int,
        seconds: float,
        panels: Sequence[np.ndarray] = (),
        **extra: Any,
    ) -> None:
        """The result, side_by_side.png of `panels` + result when completed, the final record."""
        io.save_image(self.file(GENERATED_IMAGE), pixels)
        if status == "completed" and panels:
            io.save_image(self.file(SIDE_BY_SIDE), io.side_by_side(*panels, pixels))
        self.write_record(status, completed, seconds, **extra)


class RunOutputs:
    """The loop's hooks (nst_tf.optim.loop.LoopHooks) for one folder.

    Checkpoints follow the optimizer state `track` is given: a --scales run tracks each
    scale's own optimizer in turn, in the same folder and numbering.
    """

    def __init__(
        self,
        folder: RunFolder,
        trace: TraceCsvWriter,
        writers: MultiWriter,
        keep_checkpoints: int,
        progress: Any,
    ):
        self.folder = folder
        self.trace = trace
        self.writers = writers
        # normalized image -> output pixels; set by the run (a --scales run's changes per scale)
        self.render: Callable[[np.ndarray], np.ndarray] | None = None
        self._keep = keep_checkpoints
        self._checkpoints: RunCheckpoints | None = None
        self._offset = 0.0  # wall seconds before this process: a restored checkpoint's
        self._started = time.perf_counter()
        self._progress = progress
        self.constants: dict[str, float] = {}  # added to every row (a --scales run's long_side)

    def track(self, state: Mapping[str, Any], restore: str | None = None) -> None:
        """Checkpoints of `state` from now on; `restore` a checkpoint into it first."""
        self._checkpoints = RunCheckpoints(self.folder.path, state, max_to_keep=self._keep)
        if restore is not None:
            _, self._offset = self._checkpoints.restore(restore)
            self._started = time.perf_counter()

    def seconds(self) -> float:
        return self._offset + time.perf_counter() - self._started

    def on_costs(self, iteration: int, terms: Mapping[str, float]) -> None:
        scalars = {**terms, **self.constants, "seconds": self.seconds()}
        self.writers.write_scalars(iteration, scalars)

    def on_image(self, iteration: int, image: np.ndarray) -> None:
        self.writers.write_images(iteration, {GENERATED: self.render(image)})

    def on_checkpoint(self, updates: int) -> None:
        self._checkpoints.save(updates, self.seconds())
        self.writers.flush()

    def on_step(self, iteration: int) -> None:
        if self._progress is not None:
            self._progress.update(iteration)

    def close(self) -> None:
        """Closes the writers (the progress line is its owner's to close)."""
        self.writers.close()


def latest_updates(path: str) -> int:
    """Updates of the newest intact checkpoint in a run folder (0 when none)."""
    found = intact_checkpoints(os.path.join(path, CHECKPOINT_DIR))
    return found[0][1] if found else 0

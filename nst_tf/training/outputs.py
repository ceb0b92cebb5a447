"""What a training run leaves behind, and when: one object the loop hands every step to.

Worker 0 (or the only process) writes the run folder: trace.csv and TensorBoard every
--log_every steps, preview.png and TensorBoard images every --preview_every steps, config.json,
a progress line. Every worker checkpoints (tf.distribute needs each to save); the others write
to a scratch folder removed at the end. The wall clock continues from a resumed checkpoint.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf.images import io
from nst_tf.network.transformer import StyleNetwork
from nst_tf.optim.loop import itstime
from nst_tf.outputs.checkpoint import RunCheckpoints
from nst_tf.outputs.progress import Progress
from nst_tf.outputs.run_folder import Plan, RunFolder
from nst_tf.outputs.writers import MetricWriter, MultiWriter, TensorBoardWriter, TraceCsvWriter
from nst_tf.training.config import NetworkConfig

TRACE_FILE = "trace.csv"
PREVIEW_FILE = "preview.png"
TENSORBOARD_DIR = "tensorboard"


class Previews:
    """Every slot applied to one photo (one batch): TensorBoard images and preview.png."""

    def __init__(
        self, network: StyleNetwork, photo: np.ndarray, names: Sequence[str], precision: str
    ):
        self.photo = photo
        self.names = list(names)
        batch = np.repeat(photo[np.newaxis].astype(np.float32), network.slots, axis=0)
        weights = np.eye(network.slots, dtype=np.float32)
        self._run = tf.function(lambda: network(batch, weights, precision))

    def images(self) -> dict[str, np.ndarray]:
        pixels = np.clip(np.round(self._run().numpy()), 0, 255).astype(np.uint8)
        return {f"preview/{name}": image for name, image in zip(self.names, pixels, strict=True)}


def log_line(step: int, terms: Mapping[str, float]) -> str:
    shown = [name for name in terms if "/" not in name]
    return f"Step {step}: " + ", ".join(f"{name} {terms[name]:.4g}" for name in shown)


class TrainingOutputs:
    """The loop's hooks for one run folder; `close()` when the loop ends, however it ends."""

    def __init__(
        self,
        config: NetworkConfig,
        folder: RunFolder,
        plan: Plan,
        state: Mapping[str, Any],
        previews: Previews,
        chief: bool,
    ):
        self.config = config
        self.folder = folder
        self.chief = chief
        self.previews = previews
        if chief:
            folder.begin(plan, None)  # a fresh start removes an earlier run's checkpoints first
        self._scratch = None if chief else os.path.join(folder.path, f".worker{os.getpid()}")
        self._checkpoints = RunCheckpoints(
            self._scratch or folder.path, state, config.keep_checkpoints
        )
        self._offset = 0.0
        if plan.action == "resume":
            _, self._offset = self._checkpoints.restore(plan.checkpoint)
        self._clock = time.perf_counter()
        writers: list[MetricWriter] = []
        self.trace: TraceCsvWriter | None = None
        self.progress: Progress | None = None
        if chief:
            self.trace = TraceCsvWriter(
                folder.file(TRACE_FILE), keep_before=plan.start if plan.start else None
            )
            writers.append(self.trace)
            if config.tensorboard:
                writers.append(TensorBoardWriter(folder.file(TENSORBOARD_DIR)))
            self.progress = Progress(
                config.num_steps, start=plan.start, unit="steps", rate_unit="steps/s"
            )
        self._writers = MultiWriter(writers)

    def seconds(self) -> float:
        return self._offset + time.perf_counter() - self._clock

    def after_step(self, step: int, terms: Mapping[str, float]) -> bool:
        """Logs, previews and checkpoints as the schedule says; True if it checkpointed."""
        config, total = self.config, self.config.num_steps
        if itstime(step, config.log_every, total, last=True):
            self._writers.write_scalars(step, {**terms, "seconds": self.seconds()})
            if self.progress is not None:
                self.progress.clear()
            logging.info("%s", log_line(step, terms))
        if self.chief and itstime(step, config.preview_every, total, last=True):
            images = self.previews.images()
            self._writers.write_images(step, images)
            strip = io.side_by_side(self.previews.photo, *images.values())
            io.save_image(self.folder.file(PREVIEW_FILE), strip)
        if self.progress is not None:
            self.progress.update(step)
        if itstime(step, config.checkpoint_every, total, last=True):
            self.checkpoint(step + 1)
            return True
        return False

    def checkpoint(self, updates: int) -> None:
        self._checkpoints.save(updates, self.seconds())
        self._writers.flush()

    def close(self) -> None:
        self._writers.close()
        if self.progress is not None:
            self.progress.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

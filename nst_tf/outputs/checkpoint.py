"""Checkpoints of a run's optimizer state, so a run survives a signal, a crash or `kill -9`.

tf.train.CheckpointManager writes each checkpoint's files before it atomically rewrites the
`checkpoint` index that names the latest one, so a kill at any moment leaves the previous
checkpoint intact and loses at most the updates since it. Besides the optimizer's own state it
keeps the wall seconds spent, so a resumed trace's `seconds` column continues. A checkpoint
damaged afterwards (a truncated file, a full disk, a copy cut short) is found by reading every
tensor back before a resume, and the newest intact one is used instead, with a warning.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import tensorflow as tf
from absl import logging

from nst_tf.errors import UserError

CHECKPOINT_DIR = "checkpoints"


class RunCheckpoints:
    """The latest few checkpoints of one run in output_dir/checkpoints."""

    def __init__(self, output_dir: str, state: Mapping[str, Any], max_to_keep: int = 3):
        self.directory = os.path.join(output_dir, CHECKPOINT_DIR)
        self.seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="seconds")
        self.updates = tf.Variable(0, dtype=tf.int64, trainable=False, name="updates")
        self._checkpoint = tf.train.Checkpoint(**state, seconds=self.seconds, updates=self.updates)
        self._manager = tf.train.CheckpointManager(
            self._checkpoint, self.directory, max_to_keep=max_to_keep
        )

    @property
    def latest(self) -> str | None:
        return self._manager.latest_checkpoint

    def save(self, updates: int, seconds: float) -> str:
        self.updates.assign(updates)
        self.seconds.assign(seconds)
        try:
            return self._manager.save(checkpoint_number=updates)
        except (OSError, tf.errors.OpError) as err:
            raise UserError(
                f"cannot write a checkpoint in {self.directory} ({err}); free disk space or "
                "pass a writable --output_dir"
            ) from None

    def restore(self, path: str) -> tuple[int, float]:
        """Restores checkpoint `path`; returns (updates, seconds) it was taken at."""
        try:
            self._checkpoint.restore(path).assert_existing_objects_matched().expect_partial()
        except (tf.errors.OpError, AssertionError, ValueError) as err:
            raise UserError(
                f"checkpoint {path} does not fit this run ({type(err).__name__}); start afresh "
                "in another --output_dir"
            ) from None
        return int(self.updates.numpy()), float(self.seconds.numpy())


_UPDATES = "updates/.ATTRIBUTES/VARIABLE_VALUE"


def _read_back(path: str) -> int:
    """Reads every tensor of a checkpoint (a damaged one raises); returns its update count."""
    reader = tf.train.load_checkpoint(path)
    for name in reader.get_variable_to_shape_map():
        reader.get_tensor(name)
    return int(reader.get_tensor(_UPDATES))


def intact_checkpoints(directory: str) -> list[tuple[str, int]]:
    """(path, updates) of the checkpoints in `directory` that read back whole, newest first.

    Damaged ones are skipped with a warning naming them, so a resume falls back to the
    previous intact checkpoint instead of failing deep inside TensorFlow.
    """
    state = tf.train.get_checkpoint_state(directory) if os.path.isdir(directory) else None
    if state is None:
        return []
    found = []
    for path in reversed(list(state.all_model_checkpoint_paths)):
        if not os.path.isabs(path):
            path = os.path.join(directory, path)
        try:
            found.append((path, _read_back(path)))
        except Exception as err:  # any failure to read back means damaged
            logging.warning(
                "checkpoint %s is damaged (%s); using the previous one", path, type(err).__name__
            )
    return found

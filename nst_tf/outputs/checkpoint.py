"""Checkpoints of a run's optimizer state, so a run survives a signal, a crash or `kill -9`.

tf.train.CheckpointManager writes each checkpoint's files before it atomically rewrites the
`checkpoint` index that names the latest one, so a kill at any moment leaves the previous
checkpoint intact and loses at most the updates since it. Besides the optimizer's own state it
keeps the wall seconds spent, so a resumed trace's `seconds` column continues.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import tensorflow as tf

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

    def restore_latest(self) -> tuple[int, float]:
        """Restores the newest checkpoint; returns (updates, seconds) it was taken at."""
        if self.latest is None:
            raise UserError(
                f"nothing to resume: {self.directory} holds no checkpoint; run without --resume"
            )
        try:
            self._checkpoint.restore(self.latest).assert_existing_objects_matched()
        except (tf.errors.OpError, AssertionError, ValueError) as err:
            raise UserError(
                f"checkpoint {self.latest} does not fit this run ({type(err).__name__}); start "
                "afresh in another --output_dir"
            ) from None
        return int(self.updates.numpy()), float(self.seconds.numpy())


def saved_updates(output_dir: str) -> int:
    """Updates of the latest checkpoint in output_dir (0 if none), read before anything is built.

    A --scales run needs it to build the scale whose image size the checkpoint holds.
    """
    latest = tf.train.latest_checkpoint(os.path.join(output_dir, CHECKPOINT_DIR))
    if latest is None:
        return 0
    try:
        return int(tf.train.load_variable(latest, "updates/.ATTRIBUTES/VARIABLE_VALUE"))
    except (tf.errors.OpError, ValueError) as err:
        raise UserError(
            f"checkpoint {latest} cannot be read ({type(err).__name__}); start afresh in another "
            "--output_dir"
        ) from None

"""The paper's optimizer: Adam on the image, one compiled step per update.

The step returns the terms of the image it starts from. The paper logs "Iteration i" with the
costs of the image *after* update i, which is exactly what step i + 1 returns, so logging needs
no extra forward pass (see nst_tf.optim.loop). The terms stay tensors until a caller reads them.

The objective's targets are arguments of the compiled step, so `reset` can start another job of
the same size (another content, style or start) on the same trace: nst-tf-batch runs job after
job without tracing again.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nst_tf.objective.objective import Objective, Targets, Terms


class AdamOptimizer:
    """Owns the generated image, the Adam state and the compiled step."""

    name = "adam"
    stores_terms = False  # the terms of the image after a step come with the next step

    def __init__(
        self, objective: Objective, initial_image: np.ndarray, learning_rate: float, jit: bool
    ):
        self.objective = objective
        self.image = tf.Variable(initial_image, dtype=tf.float32, name="generated_image")
        # The last image whose cost was finite, so a diverging run can still hand it back.
        self.last_finite = tf.Variable(initial_image, dtype=tf.float32, name="last_finite_image")
        # TF1's AdamOptimizer, which the paper used, defaults to epsilon=1e-8.
        self.learning_rate = learning_rate
        self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate, epsilon=1e-8)
        self.optimizer.build([self.image])
        self.step_function = tf.function(self._step_fn, jit_compile=jit)
        self._evaluate = tf.function(
            lambda targets: self.objective(self.image, targets)[1], jit_compile=jit
        )

    def _step_fn(self, targets: Targets) -> Terms:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(self.image)
            J, terms = self.objective(self.image, targets)
        gradient = tape.gradient(J, self.image)
        self.last_finite.assign(tf.where(tf.math.is_finite(J), self.image, self.last_finite))
        self.optimizer.apply_gradients([(gradient, self.image)])
        return terms

    def step(self, targets: Targets) -> Terms:
        """One update; returns the terms of the image before it."""
        return self.step_function(targets)

    def evaluate(self, targets: Targets) -> Terms:
        """The terms of the current image, without updating it."""
        return self._evaluate(targets)

    def reset(self, initial_image: np.ndarray) -> None:
        """A fresh start from `initial_image` (same shape): zero moments, no updates yet."""
        self.image.assign(initial_image)
        self.last_finite.assign(initial_image)
        for variable in self.optimizer.variables:  # the step count, moments and the rate
            variable.assign(tf.zeros_like(variable))
        self.optimizer.learning_rate = self.learning_rate

    @property
    def updates(self) -> int:
        """Updates applied so far (restored with a checkpoint)."""
        return int(self.optimizer.iterations.numpy())

    def state(self) -> dict[str, Any]:
        """What a checkpoint must hold to continue exactly: the image and Adam's moments."""
        return {"image": self.image, "last_finite": self.last_finite, "adam": self.optimizer}


def from_config(
    config: Any, objective: Objective, initial_image: np.ndarray, jit: bool
) -> AdamOptimizer:
    """The registry's constructor (nst_tf.optim.registry)."""
    return AdamOptimizer(objective, initial_image, config.learning_rate, jit)

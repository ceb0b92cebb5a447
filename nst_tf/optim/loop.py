"""Targets once, then the tf.function step (forward, backward, Adam update) in a logged loop.

The paper logs "Iteration i" with the costs of the image *after* update i (it runs
`train_step`, then evaluates J). The step here returns the costs of the image it starts from,
which after update i is exactly that number, so iteration i's costs arrive with step i + 1 and
no logging iteration pays for an extra forward pass. Only a run whose last iteration is a
logging one evaluates once more at the end.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import keras
import numpy as np
import tensorflow as tf

from nst_tf.objective import losses


@dataclasses.dataclass(frozen=True)
class Costs:
    total: float
    content: float
    style: float


@dataclasses.dataclass(frozen=True)
class Targets:
    """What the step compares against: a_C at the content layer, Grams of S at style layers."""

    content: tf.Tensor
    style_grams: dict[str, tf.Tensor]


def features_fp32(extractor: keras.Model, image: tf.Tensor) -> dict[str, tf.Tensor]:
    """Runs the extractor; Grams and losses always see float32, whatever the conv precision."""
    return {name: tf.cast(value, tf.float32) for name, value in extractor(image).items()}


def compute_targets(
    extractor: keras.Model,
    content_image: np.ndarray,
    style_image: np.ndarray,
    content_layer: str,
    style_layers: Sequence[tuple[str, float]],
) -> Targets:
    # A graph frees each activation once used; an eager functional call holds them all.
    extract = tf.function(lambda image: features_fp32(extractor, image))
    content_features = extract(tf.constant(content_image))
    style_features = extract(tf.constant(style_image))
    return Targets(
        content=content_features[content_layer],
        style_grams={
            name: losses.activation_gram(style_features[name]) for name, _ in style_layers
        },
    )


class StyleTransferStep:
    """Owns the generated image variable, the Adam state and the compiled step.

    The costs stay tensors until a caller reads them, so unlogged iterations never wait on a
    device-to-host copy.
    """

    def __init__(
        self,
        extractor: keras.Model,
        targets: Targets,
        initial_image: np.ndarray,
        content_layer: str,
        style_layers: Sequence[tuple[str, float]],
        alpha: float,
        beta: float,
        learning_rate: float,
        jit: bool = False,
    ):
        self.image = tf.Variable(initial_image, dtype=tf.float32, name="generated_image")
        # TF1's AdamOptimizer, which the paper used, defaults to epsilon=1e-8.
        self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate, epsilon=1e-8)
        self.optimizer.build([self.image])
        self._extractor = extractor
        self._targets = targets
        self._content_layer = content_layer
        self._style_layers = tuple(style_layers)
        self._alpha = alpha
        self._beta = beta
        self._step = tf.function(self._step_fn, jit_compile=jit)
        self._costs = tf.function(self._cost_terms, jit_compile=jit)

    def _cost_terms(self) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        generated = features_fp32(self._extractor, self.image)
        J_content = losses.compute_content_cost(
            self._targets.content, generated[self._content_layer]
        )
        J_style = losses.compute_style_cost(
            self._targets.style_grams, generated, self._style_layers
        )
        return losses.total_cost(J_content, J_style, self._alpha, self._beta), J_content, J_style

    def _step_fn(self) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(self.image)
            J, J_content, J_style = self._cost_terms()
        gradient = tape.gradient(J, self.image)
        self.optimizer.apply_gradients([(gradient, self.image)])
        return J, J_content, J_style

    def step(self) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """One update; returns (J, J_content, J_style) of the image before it, as tensors."""
        return self._step()

    def costs(self) -> Costs:
        return Costs(*(float(value) for value in self._costs()))


class LoopHooks(Protocol):
    """Where logging, tracing and saving plug into the loop."""

    def on_log(self, iteration: int, costs: Costs, seconds: float) -> None:
        """Costs of the image after update `iteration`; seconds since the loop started."""

    def on_save(self, iteration: int, image: np.ndarray) -> None:
        """The normalized image after update `iteration`."""


def run_loop(
    step: StyleTransferStep,
    num_iterations: int,
    log_every: int,
    save_every: int,
    hooks: LoopHooks,
    clock: Callable[[], float] = time.perf_counter,
) -> np.ndarray:
    """Runs num_iterations updates; returns the final image. See the module doc for logging."""
    start = clock()
    pending: tuple[int, float] | None = None  # a logged iteration waiting for its costs
    for iteration in range(num_iterations):
        costs = step.step()
        if pending is not None:
            hooks.on_log(pending[0], Costs(*(float(value) for value in costs)), pending[1])
            pending = None
        if iteration % save_every == 0:
            hooks.on_save(iteration, step.image.numpy())
        if iteration % log_every == 0:
            pending = (iteration, clock() - start)
    if pending is not None:
        hooks.on_log(pending[0], step.costs(), pending[1])
    return step.image.numpy()

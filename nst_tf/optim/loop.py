"""The optimization loop: steps, and every periodic action decided by one helper.

The paper logs "Iteration i" with the costs of the image after update i. Optimizers return the
terms of the image a step starts from, which after update i is exactly that number, so
iteration i's costs arrive with step i + 1 and no logging iteration pays for an extra forward
pass; only a run whose last iteration is a logging one evaluates once more at the end. An
optimizer that stores the terms of the image it stepped to (L-BFGS: its line search computed
them) hands them over at once, so its log does not wait for the next step.

A run can stop early for two reasons, both raised as exceptions once the state is safe: the
cost became non-finite (`DivergedError`), or a signal asked it to stop (`StoppedError`, raised
after a checkpoint).

Iterations are numbered over the whole run: a --scales run calls the loop once per scale with
`offset` = the iterations of the scales before it, so the trace, log lines, snapshots and
checkpoints of all scales form one sequence.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import tensorflow as tf

Terms = Mapping[str, tf.Tensor]


class ImageOptimizer(Protocol):
    """What the loop needs of an optimizer (Adam, L-BFGS): the image, and steps over targets.

    `targets` are the objective's (nst_tf.objective.objective), passed to every call so that
    the compiled step takes them as arguments.
    """

    image: tf.Variable
    last_finite: tf.Variable
    # True when `evaluate` after a step reads the terms the step stored (L-BFGS) instead of
    # running the objective again (Adam): the loop then logs an iteration as soon as it ends.
    stores_terms: bool

    def step(self, targets: Any) -> Terms:
        """One iteration; returns the per-image terms of the image before it."""

    def evaluate(self, targets: Any) -> Terms:
        """The terms of the current image."""

    def reset(self, initial_image: np.ndarray) -> None:
        """Starts afresh from `initial_image` (same shape), keeping the compiled step."""

    @property
    def updates(self) -> int:
        """Iterations applied so far."""

    def state(self) -> dict[str, Any]:
        """Trackables a checkpoint saves to continue the run."""


class DivergedError(Exception):
    """The cost became non-finite; `iteration` is the paper's number of the image that did it."""

    def __init__(self, iteration: int):
        super().__init__(iteration)
        self.iteration = iteration


class StoppedError(Exception):
    """A stop was requested (a signal); the state after `updates` updates is checkpointed."""

    def __init__(self, updates: int, reason: str):
        super().__init__(updates, reason)
        self.updates = updates
        self.reason = reason


def itstime(step: int, every: int, total: int, last: bool = False) -> bool:
    """Whether a periodic action runs at `step` of `total` (0-based): every n-th, the last too.

    One rule for logging, snapshots, checkpoints and TensorBoard, after big_vision's
    `utils.itstime`: the paper's `i % 20 == 0`, plus the final step when `last` is set.
    """
    return (every > 0 and step % every == 0) or (last and step == total - 1)


class LoopHooks(Protocol):
    """Where outputs plug into the loop."""

    def on_costs(self, iteration: int, terms: Mapping[str, float]) -> None:
        """Per-image costs of the image after update `iteration` (first image's, as floats)."""

    def on_image(self, iteration: int, image: np.ndarray) -> None:
        """The normalized image after update `iteration`."""

    def on_checkpoint(self, updates: int) -> None:
        """Save the optimizer state after `updates` updates."""

    def on_step(self, iteration: int) -> None:
        """After every update (progress display)."""


def first_image_terms(terms: Terms) -> dict[str, float]:
    """Per-image term vectors -> the first image's values, in order."""
    return {name: float(np.asarray(value).reshape(-1)[0]) for name, value in terms.items()}


@dataclasses.dataclass(frozen=True)
class Schedule:
    """When the loop logs, saves and checkpoints, in the run's global iteration numbers."""

    log_every: int
    save_every: int
    checkpoint_every: int
    log_last: bool = False  # also log the last iteration (of each scale, for --scales)


def run_loop(
    optimizer: ImageOptimizer,
    targets: Any,
    end: int,
    schedule: Schedule,
    hooks: LoopHooks,
    stop_requested: Callable[[], str | None] = lambda: None,
    offset: int = 0,
    final: bool = True,
) -> np.ndarray:
    """Runs from iteration offset + optimizer.updates up to `end`; returns the final image.

    `stop_requested` returns a reason once a stop is asked for; the loop then finishes the
    current step, checkpoints and raises StoppedError. A stop asked for during the last
    iteration ends the run normally, unless more follows (`final` False: a scale before the
    last), where the loop raises StoppedError at `end` once its costs are logged.
    """

    def logs(iteration: int) -> bool:
        return itstime(iteration, schedule.log_every, end, last=schedule.log_last)

    start = offset + optimizer.updates
    pending = start - 1 if start > offset and logs(start - 1) else None
    for iteration in range(start, end):
        terms = optimizer.step(targets)  # the costs of the image after update iteration - 1
        if not math.isfinite(float(tf.reduce_sum(terms["total"]))):
            raise DivergedError(iteration - 1)
        if pending is not None:
            hooks.on_costs(pending, first_image_terms(terms))
            pending = None
        if itstime(iteration, schedule.save_every, end):
            hooks.on_image(iteration, optimizer.image.numpy())
        if logs(iteration):
            pending = iteration
            if optimizer.stores_terms:
                _log_now(optimizer.evaluate(targets), iteration, hooks)
                pending = None
        hooks.on_step(iteration)
        checkpointed = itstime(iteration, schedule.checkpoint_every, end, last=True)
        if checkpointed:
            hooks.on_checkpoint(iteration + 1)
        reason = stop_requested()
        if reason is not None and (iteration + 1 < end or not final):
            if not checkpointed:
                hooks.on_checkpoint(iteration + 1)
            if iteration + 1 < end:
                raise StoppedError(iteration + 1, reason)
    if pending is not None:
        _log_now(optimizer.evaluate(targets), pending, hooks)
    if not final and start < end and reason is not None:
        raise StoppedError(end, reason)
    return optimizer.image.numpy()


def _log_now(terms: Terms, iteration: int, hooks: LoopHooks) -> None:
    """Logs the terms of the image after update `iteration`, or stops if they are not finite."""
    if not math.isfinite(float(tf.reduce_sum(terms["total"]))):
        raise DivergedError(iteration)
    hooks.on_costs(iteration, first_image_terms(terms))

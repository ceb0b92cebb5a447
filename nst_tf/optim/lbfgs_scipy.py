"""scipy's L-BFGS-B driver, kept only to measure nst_tf.optim.lbfgs against it side by side.

scipy owns the iteration (line search, curvature history); the loop owns the run (logs,
snapshots, checkpoints, signals). They meet at scipy's per-iteration callback: `minimize` runs
in a worker thread that pauses at every callback until the loop asks for the next step, so one
L-BFGS iteration is one logged iteration and every output works as with Adam, without a second
loop. Cost and gradient come from one compiled function and reach scipy in float64.

Choices, each for a reason:
- ftol and gtol are 0: with costs near 1e9 scipy's defaults stop after about two iterations.
  Runs end at num_iterations, as Adam's do.
- Bounds keep every pixel in [0 - mean, 255 - mean], the range an image file can hold.
- Function evaluations (line-search trials included) are counted and logged as the
  `evaluations` term: an iteration costs one or more forward+backward passes, an Adam update one.
- When L-BFGS-B ends on its own (a line search that cannot improve the float32 cost), the next
  step restarts it from the current image with an empty history; if that cannot move either,
  later steps keep the image.
- A checkpoint holds the image and the counters, not scipy's history (scipy cannot export it):
  a resumed run restarts L-BFGS from the checkpointed image, so its trace after the resume
  differs from an uninterrupted run's.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.optimize
import tensorflow as tf
from absl import logging

from nst_tf.objective.objective import Objective, Terms

HISTORY = 10  # scipy's default number of correction pairs (maxcor)
_NO_LIMIT = 2**31 - 1


class _Evaluator:
    """Cost and gradient of a flat float64 image for scipy; remembers the last point it saw."""

    def __init__(self, objective: Objective, shape: Sequence[int], jit: bool):
        self.shape = tuple(shape)
        self.count = 0
        self.last: tuple[np.ndarray, Terms] | None = None
        self.first: Terms | None = None

        self.targets = None  # the objective's targets, set by the optimizer before scipy runs

        def value_and_gradient(image: tf.Tensor, targets) -> tuple[tf.Tensor, tf.Tensor, Terms]:
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(image)
                J, terms = objective(image, targets)
            return J, tape.gradient(J, image), terms

        self.compiled = tf.function(value_and_gradient, jit_compile=jit)

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        image = tf.constant(x.reshape(self.shape), tf.float32)
        J, gradient, terms = self.compiled(image, self.targets)
        self.count += 1
        self.last = (x.copy(), terms)
        if self.first is None:
            self.first = terms
        return float(J), gradient.numpy().astype(np.float64).ravel()


class _Driver:
    """scipy's minimize in a worker thread that pauses after every iteration.

    `advance()` lets it run one more iteration and returns ("iteration", x) at the next callback,
    or ("finished", message) when scipy ended on its own; a worker's exception is re-raised.
    """

    def __init__(self, fun: Callable, x0: np.ndarray, bounds: scipy.optimize.Bounds):
        self._go: queue.Queue[bool] = queue.Queue()
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._thread = threading.Thread(
            target=self._minimize, args=(fun, x0, bounds), name="lbfgs", daemon=True
        )
        self.iterations = 0
        self._started = False

    def _minimize(self, fun: Callable, x0: np.ndarray, bounds: scipy.optimize.Bounds) -> None:
        try:
            if not self._go.get():
                return
            result = scipy.optimize.minimize(
                fun,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                callback=self._pause,
                options=dict(
                    maxcor=HISTORY, ftol=0.0, gtol=0.0, maxiter=_NO_LIMIT, maxfun=_NO_LIMIT
                ),
            )
            self._events.put(("finished", str(result.message)))
        except BaseException as err:  # handed to the caller's thread, which re-raises it
            self._events.put(("error", err))

    def _pause(self, xk: np.ndarray) -> None:
        self._events.put(("iteration", xk.copy()))
        if not self._go.get():
            raise StopIteration  # scipy ends minimize cleanly

    def advance(self) -> tuple[str, Any]:
        if not self._started:
            self._started = True
            self._thread.start()
        self._go.put(True)
        kind, value = self._events.get()
        if kind == "error":
            raise value
        self.iterations += kind == "iteration"
        return kind, value

    def close(self) -> None:
        """Ends the worker (it is paused at a callback or not started)."""
        if self._thread.is_alive():
            self._go.put(False)
            self._thread.join()


class _Workers:
    """The current driver, apart from the optimizer so a finalizer can close it."""

    def __init__(self):
        self.driver: _Driver | None = None

    def replace(self, driver: _Driver) -> None:
        self.close()
        self.driver = driver

    def close(self) -> None:
        if self.driver is not None:
            self.driver.close()


class LbfgsOptimizer:
    """Owns the generated image, the counters and the L-BFGS-B worker; see the module doc."""

    name = "lbfgs_scipy"

    def __init__(
        self,
        objective: Objective,
        initial_image: np.ndarray,
        means: Sequence[float],
        jit: bool,
    ):
        self.image = tf.Variable(initial_image, dtype=tf.float32, name="generated_image")
        self.last_finite = tf.Variable(initial_image, dtype=tf.float32, name="last_finite_image")
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        self.evaluations = tf.Variable(0, dtype=tf.int64, trainable=False, name="evaluations")
        self._evaluator = _Evaluator(objective, initial_image.shape, jit)
        offsets = np.broadcast_to(np.asarray(means, np.float64), initial_image.shape).ravel()
        self._bounds = scipy.optimize.Bounds(0.0 - offsets, 255.0 - offsets)
        self._workers = _Workers()
        # The worker thread pauses between steps; it ends when this optimizer is collected.
        weakref.finalize(self, self._workers.close)
        self._terms: Terms | None = None  # of the current image, once known
        self._stalled = False

    def _start(self) -> _Driver:
        """A fresh L-BFGS-B from the current image (clipped into the bounds scipy enforces)."""
        x0 = np.clip(
            self.image.numpy().astype(np.float64).ravel(), self._bounds.lb, self._bounds.ub
        )
        self.image.assign(x0.reshape(self.image.shape).astype(np.float32))
        self._terms = None  # the new worker's first evaluation is of this image
        self._evaluator.count = int(self.evaluations.numpy())
        self._evaluator.first = None
        self._workers.replace(_Driver(self._evaluator, x0, self._bounds))
        return self._workers.driver

    def step(self, targets) -> Terms:
        """One L-BFGS iteration; returns the terms of the image before it."""
        self._evaluator.targets = targets
        start_image = self.image.numpy()
        terms = self.evaluate(targets) if self._stalled else self._iterate()
        if np.isfinite(float(tf.reduce_sum(terms["total"]))):
            self.last_finite.assign(start_image)
        self.iterations.assign_add(1)  # a kept image counts too: the loop's count is the same
        return terms

    def _iterate(self) -> Terms:
        driver = self._workers.driver or self._start()
        kind, value = driver.advance()
        if kind == "finished" and driver.iterations > 0:
            logging.info(
                "L-BFGS-B stopped after %d iterations (%s); restarting with an empty history",
                driver.iterations,
                value,
            )
            kind, value = self._start().advance()
        if kind == "finished":
            self._stalled = True
            logging.warning("L-BFGS-B cannot improve the image further (%s); keeping it", value)
            return self.evaluate(self._evaluator.targets)
        start_terms = self._terms if self._terms is not None else self._evaluator.first
        start_terms = self._with_evaluations(start_terms, int(self.evaluations.numpy()))
        self.image.assign(value.reshape(self.image.shape).astype(np.float32))
        last_x, last_terms = self._evaluator.last
        self._terms = last_terms if np.array_equal(last_x, value) else None
        self.evaluations.assign(self._evaluator.count)
        return start_terms

    def _with_evaluations(self, terms: Terms, evaluations: int) -> Terms:
        return {**terms, "evaluations": tf.fill(tf.shape(terms["total"]), float(evaluations))}

    def evaluate(self, targets) -> Terms:
        """The terms of the current image (known from the line search, else computed)."""
        if self._terms is None:
            _, _, self._terms = self._evaluator.compiled(self.image.value(), targets)
        return self._with_evaluations(self._terms, int(self.evaluations.numpy()))

    def reset(self, initial_image: np.ndarray) -> None:
        """A fresh L-BFGS-B from `initial_image`: no history, counters at zero."""
        self._workers.close()
        self._workers.driver = None
        self.image.assign(initial_image)
        self.last_finite.assign(initial_image)
        self.iterations.assign(0)
        self.evaluations.assign(0)
        self._terms = None
        self._stalled = False

    @property
    def updates(self) -> int:
        """Iterations applied so far (restored with a checkpoint)."""
        return int(self.iterations.numpy())

    def state(self) -> dict[str, Any]:
        """The image and counters; scipy's history is not saved (see the module doc)."""
        return {
            "image": self.image,
            "last_finite": self.last_finite,
            "lbfgs_iterations": self.iterations,
            "lbfgs_evaluations": self.evaluations,
        }


def from_config(
    config: Any, objective: Objective, initial_image: np.ndarray, jit: bool
) -> LbfgsOptimizer:
    """The registry's constructor (nst_tf.optim.registry)."""
    return LbfgsOptimizer(objective, initial_image, config.means, jit)

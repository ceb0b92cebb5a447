"""scipy's L-BFGS-B driver (kept for the side-by-side measurement): a known minimum, the terms
of each step, its worker thread."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest
import tensorflow as tf

from nst_tf.optim.lbfgs_scipy import LbfgsOptimizer

MEANS = (100.0, 110.0, 120.0)
TARGETS = {}  # the quadratic's target is its own


class Quadratic:
    """J = sum w (x - t)^2 with a known minimiser t, in the objective's calling convention."""

    def __init__(self, target: np.ndarray, weights: np.ndarray):
        self.target = tf.constant(target, tf.float32)
        self.weights = tf.constant(weights, tf.float32)

    def __call__(self, image, targets):
        J = tf.reduce_sum(self.weights * tf.square(image - self.target), axis=(1, 2, 3))
        return tf.reduce_sum(J), {"total": J, "content": J, "style": tf.zeros_like(J)}


def _quadratic_problem(target):
    rng = np.random.RandomState(0)
    weights = rng.uniform(0.5, 5.0, target.shape)  # unequal curvatures: needs the history
    return Quadratic(target, weights), rng.uniform(-20, 20, target.shape).astype(np.float32)


def test_reaches_the_known_minimum_and_respects_the_pixel_bounds():
    shape = (1, 5, 6, 3)
    target = np.random.RandomState(1).uniform(-50, 50, shape).astype(np.float32)
    target[0, 0, 0] = [200.0, -150.0, 0.0]  # outside [0 - mean, 255 - mean] for channels 0, 1
    objective, start = _quadratic_problem(target)
    optimizer = LbfgsOptimizer(objective, start, MEANS, jit=False)
    totals = [float(optimizer.step(TARGETS)["total"][0]) for _ in range(100)]
    expected = np.clip(target, -np.array(MEANS), 255.0 - np.array(MEANS))
    # float32 costs: the clipped pixels add a constant that hides changes below ~0.01
    np.testing.assert_allclose(optimizer.image.numpy(), expected, atol=0.05)
    assert all(b <= a for a, b in itertools.pairwise(totals))
    assert optimizer.updates == 100  # iterations after it stalls keep the image and count


def test_steps_return_the_terms_of_the_image_they_start_from():
    objective, start = _quadratic_problem(np.zeros((1, 4, 4, 3), np.float32))
    optimizer = LbfgsOptimizer(objective, start, MEANS, jit=False)
    for _ in range(5):
        before = optimizer.image.numpy()
        terms = optimizer.step(TARGETS)
        assert float(terms["total"][0]) == pytest.approx(
            float(objective(before, TARGETS)[0]), rel=1e-5
        )
        assert not np.array_equal(optimizer.image.numpy(), before)
    evaluated = optimizer.evaluate(TARGETS)
    assert float(evaluated["total"][0]) == pytest.approx(
        float(objective(optimizer.image.numpy(), TARGETS)[0]), rel=1e-5
    )


def test_the_worker_thread_ends_with_the_optimizer():
    objective, start = _quadratic_problem(np.zeros((1, 4, 4, 3), np.float32))
    optimizer = LbfgsOptimizer(objective, start, MEANS, jit=False)
    optimizer.step(TARGETS)
    assert any(thread.name == "lbfgs" for thread in threading.enumerate())
    del optimizer
    assert not any(thread.name == "lbfgs" for thread in threading.enumerate())

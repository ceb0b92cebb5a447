"""L-BFGS: a known minimum, monotone descent on the tiny net, and every run output with it."""

from __future__ import annotations

import itertools
import json
import os
import threading

import numpy as np
import pytest
import tensorflow as tf

from nst_tf import stylize
from nst_tf.optim.lbfgs import LbfgsOptimizer
from nst_tf.outputs.writers import read_trace
from tests.helpers import tiny_config
from tests.test_stylize import _stop_after

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


def test_tiny_net_cost_falls_every_iteration_with_trace_log_and_checkpoints(
    tiny_vgg_path, tiny_images, tmp_path, caplog
):
    config = tiny_config(
        tiny_vgg_path, tiny_images, tmp_path, optimizer="lbfgs", num_iterations=12,
        checkpoint_every=5, tensorboard=True,
    )  # fmt: skip
    with caplog.at_level("INFO"):
        result = stylize.stylize(config)
    totals = [row["total_cost"] for row in result.trace]
    assert [row["iteration"] for row in result.trace] == list(range(12))
    assert all(b < a for a, b in itertools.pairwise(totals)), totals
    assert totals[-1] < totals[0] / 10
    evaluations = [row["evaluations"] for row in result.trace]
    assert all(e >= i + 1 for i, e in enumerate(evaluations))  # at least one per iteration
    assert evaluations == sorted(evaluations)
    assert read_trace(str(tmp_path / "trace.csv"))[-1]["evaluations"] == evaluations[-1]
    assert "Iteration 11 :" in caplog.text and "total cost = " in caplog.text
    assert os.listdir(tmp_path / "tensorboard")
    checkpoints = sorted(n for n in os.listdir(tmp_path / "checkpoints") if n.endswith(".index"))
    assert checkpoints == ["ckpt-11.index", "ckpt-12.index", "ckpt-6.index"]
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["status"] == "completed" and record["config"]["optimizer"] == "lbfgs"


def test_stop_and_resume_restart_lbfgs_from_the_checkpointed_image(
    tiny_vgg_path, tiny_images, tmp_path, monkeypatch
):
    settings = dict(optimizer="lbfgs", num_iterations=10, log_every=1, checkpoint_every=3)
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, **settings)
    with monkeypatch.context() as patch:
        _stop_after(patch, 5)  # SIGTERM after update 5: checkpointed there
        with pytest.raises(stylize.RunStoppedError) as stop:
            stylize.stylize(config)
    assert stop.value.exit_code == 143
    assert json.loads((tmp_path / "config.json").read_text())["completed_iterations"] == 5
    before = read_trace(str(tmp_path / "trace.csv"))
    resumed = stylize.stylize(config, resume=True)
    assert [row["iteration"] for row in resumed.trace] == list(range(10))
    for ours, saved in zip(resumed.trace[:4], before[:4], strict=True):
        assert ours["total_cost"] == saved["total_cost"]  # rows before the checkpoint kept
    totals = [row["total_cost"] for row in resumed.trace]
    assert all(b < a for a, b in itertools.pairwise(totals)), totals
    evaluations = [row["evaluations"] for row in resumed.trace]
    assert evaluations == sorted(evaluations)  # the count carries over the resume


def test_lbfgs_runs_each_scale_of_a_coarse_to_fine_schedule(tiny_vgg_path, tiny_images, tmp_path):
    config = tiny_config(
        tiny_vgg_path, tiny_images, tmp_path, optimizer="lbfgs", scales=(20, 40),
        scale_iterations=(3, 3),
    )  # fmt: skip
    trace = stylize.stylize(config).trace
    assert [row["long_side"] for row in trace] == [20, 20, 20, 40, 40, 40]
    assert all(row["evaluations"] >= 1 for row in trace[1:])
    assert trace[-1]["total_cost"] < trace[3]["total_cost"]

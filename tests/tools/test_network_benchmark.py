"""The network benchmark counts the FLOPs the issue states and times nst-tf-apply's own call
against an iteration of the paper's run."""

from __future__ import annotations

import numpy as np
import pytest

from nst_tf.tools import network_benchmark


def test_a_400x300_forward_pass_is_about_37_gflop():
    # The figure; by hand: 22.1 GFLOP in the residual blocks at 100x75 alone.
    assert network_benchmark.forward_flops(400, 300) / 1e9 == pytest.approx(37.0, abs=0.5)
    residual = 10 * 2 * 9 * 128 * 128 * 100 * 75
    assert (
        network_benchmark.forward_flops(400, 300, 0.5)
        < network_benchmark.forward_flops(400, 300) - 0.7 * residual
    )


def test_apply_calls_run_every_precision():
    calls = network_benchmark.apply_calls(20, 16)
    assert set(calls) == {"float32", "bfloat16"}
    assert all(np.isfinite(call()) for call in calls.values())


def test_a_paper_iteration_runs_every_precision_and_updates_the_image():
    steps = network_benchmark.paper_iterations(20, 16)
    assert set(steps) == {"float32", "bfloat16"}
    for step in steps.values():
        first, second = step(), step()
        assert np.isfinite(first) and second != first  # each call is one more Adam update

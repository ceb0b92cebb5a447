"""L-BFGS: against scipy's L-BFGS-B (float64) on a bounded quadratic and on the tiny net, the
terms each step returns, one trace for many jobs, batches, checkpoints, stalls; then through
nst-tf: trace, log, checkpoints, exact resume (also after kill -9), scales."""

from __future__ import annotations

import itertools
import json
import os

import numpy as np
import pytest
import scipy.optimize
import tensorflow as tf

from nst_tf import build as build_lib
from nst_tf import stylize
from nst_tf.model import vgg
from nst_tf.objective import losses
from nst_tf.optim import lbfgs, loop
from nst_tf.optim.lbfgs import LbfgsOptimizer
from nst_tf.outputs.writers import read_trace
from tests.helpers import PAPER_MEANS, TINY_CHANNELS, run_cli, smooth_image, tiny_config
from tests.test_cli import _base_flags, _checkpoints, _start, _wait_for
from tests.test_stylize import _stop_after

MEANS = (100.0, 110.0, 120.0)
SHAPE = (1, 5, 6, 3)


def quadratic(image, targets):
    """J = sum w (x - t)^2 per image, its minimiser the target t (an argument, not a constant)."""
    J = tf.reduce_sum(targets["weights"] * tf.square(image - targets["target"]), axis=(1, 2, 3))
    return tf.reduce_sum(J), {"total": J, "content": J, "style": tf.zeros_like(J)}


def quadratic_problem(seed=0, shape=SHAPE, outside=True):
    """Targets (unequal curvatures: the history matters), some outside the box, and a start."""
    rng = np.random.RandomState(seed)
    target = rng.uniform(-50, 50, shape).astype(np.float32)
    if outside:
        target[:, 0, 0] = [200.0, -150.0, 0.0]  # beyond [0 - mean, 255 - mean] in channels 0, 1
    weights = rng.uniform(0.5, 5.0, shape).astype(np.float32)
    start = rng.uniform(-20, 20, shape).astype(np.float32)
    return {"target": tf.constant(target), "weights": tf.constant(weights)}, start


def box(shape, means=MEANS):
    means = np.broadcast_to(np.asarray(means, np.float64), shape).ravel()
    return scipy.optimize.Bounds(0.0 - means, 255.0 - means)


def scipy_lbfgsb(value_and_gradient, start, bounds, iterations):
    """scipy's L-BFGS-B in float64 from `start`: the cost after each iteration, and the result."""
    costs = []
    result = scipy.optimize.minimize(
        value_and_gradient,
        start.astype(np.float64).ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        callback=lambda xk: costs.append(value_and_gradient(xk)[0]),
        options=dict(maxcor=10, ftol=0.0, gtol=0.0, maxiter=iterations),
    )
    return costs, result.x


def totals(optimizer, targets, steps):
    """The start image's total of each step, then the final image's."""
    costs = [float(optimizer.step(targets)["total"][0]) for _ in range(steps)]
    return [*costs, float(optimizer.evaluate(targets)["total"][0])]


def test_bounded_quadratic_reaches_scipys_minimiser_within_the_box_monotonically():
    targets, start = quadratic_problem()
    optimizer = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    lower, upper = -np.array(MEANS), 255.0 - np.array(MEANS)
    costs, images = [], []
    for _ in range(40):
        costs.append(float(optimizer.step(targets)["total"][0]))
        images.append(optimizer.image.numpy())
    target, weights = (targets[k].numpy().astype(np.float64).ravel() for k in targets)

    def value_and_gradient(x):
        return np.sum(weights * (x - target) ** 2), 2 * weights * (x - target)

    _, reference = scipy_lbfgsb(value_and_gradient, start, box(SHAPE), 40)
    expected = np.clip(targets["target"].numpy(), lower, upper)  # the exact minimiser
    np.testing.assert_allclose(reference.reshape(SHAPE), expected, atol=1e-3)
    # float32 costs: the clipped pixels add a constant that hides changes below ~0.01
    np.testing.assert_allclose(optimizer.image.numpy(), expected, atol=0.05)
    assert all(b <= a for a, b in itertools.pairwise(costs))
    assert all(((lower <= x) & (x <= upper)).all() for x in images)
    assert optimizer.updates == 40  # iterations after it stalls keep the image and count


def test_without_active_bounds_it_is_plain_lbfgs_as_scipy_iterates():
    targets, start = quadratic_problem(outside=False)
    optimizer = LbfgsOptimizer(quadratic, start, (127.5,) * 3, jit=False)
    ours = totals(optimizer, targets, 12)[1:]
    target, weights = (targets[k].numpy().astype(np.float64).ravel() for k in targets)

    def value_and_gradient(x):
        return np.sum(weights * (x - target) ** 2), 2 * weights * (x - target)

    theirs, _ = scipy_lbfgsb(value_and_gradient, start, None, 12)
    # The first step differs (its trial length, see _first_trial); the rate is the same.
    assert ours[0] < theirs[0]
    assert ours[-1] <= theirs[-1] * 10 and ours[-1] < 1e-3 * ours[0]


def test_steps_return_the_terms_of_the_image_they_start_from():
    targets, start = quadratic_problem(shape=(1, 4, 4, 3))
    optimizer = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    evaluations = []
    for _ in range(5):
        before = optimizer.image.numpy()
        terms = optimizer.step(targets)
        assert list(terms) == ["total", "content", "style", "evaluations"]
        expected = float(quadratic(tf.constant(before), targets)[0])
        assert float(terms["total"][0]) == pytest.approx(expected, rel=1e-6)
        assert not np.array_equal(optimizer.image.numpy(), before)
        evaluations.append(float(terms["evaluations"][0]))
    assert evaluations[0] == 1  # the start, evaluated once
    assert all(b > a for a, b in itertools.pairwise(evaluations))
    evaluated = optimizer.evaluate(targets)
    expected = float(quadratic(tf.constant(optimizer.image.numpy()), targets)[0])
    assert float(evaluated["total"][0]) == pytest.approx(expected, rel=1e-6)
    assert float(optimizer.step(targets)["total"][0]) == float(evaluated["total"][0])


def test_evaluate_first_is_the_first_steps_one_evaluation():
    targets, start = quadratic_problem()
    fresh = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    evaluated_first = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    assert float(evaluated_first.evaluate(targets)["evaluations"][0]) == 1
    for _ in range(3):
        a, b = fresh.step(targets), evaluated_first.step(targets)
        assert {k: float(v[0]) for k, v in a.items()} == {k: float(v[0]) for k, v in b.items()}


def test_reset_runs_a_new_job_on_the_same_trace():
    targets, start = quadratic_problem()
    other_targets, other_start = quadratic_problem(seed=3)
    optimizer = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    first = totals(optimizer, targets, 6)
    optimizer.reset(other_start)
    second = totals(optimizer, other_targets, 6)
    optimizer.reset(start)
    again = totals(optimizer, targets, 6)
    assert again == first
    assert second == totals(LbfgsOptimizer(quadratic, other_start, MEANS, jit=False),
                            other_targets, 6)  # fmt: skip
    assert optimizer.step_function.experimental_get_tracing_count() == 1
    assert optimizer._point.experimental_get_tracing_count() == 1


def test_each_image_of_a_batch_is_its_own_problem():
    (a, start_a), (b, start_b) = quadratic_problem(seed=1), quadratic_problem(seed=2)
    batch = {key: tf.concat([a[key], b[key]], axis=0) for key in a}
    optimizer = LbfgsOptimizer(quadratic, np.concatenate([start_a, start_b]), MEANS, jit=False)
    rows = [optimizer.step(batch) for _ in range(8)]
    for index, (targets, start) in enumerate([(a, start_a), (b, start_b)]):
        single = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
        for row in rows:
            alone = single.step(targets)
            for name in ("total", "evaluations"):
                assert float(row[name][index]) == pytest.approx(float(alone[name][0]), rel=1e-5)


def test_a_checkpoint_continues_exactly(tmp_path):
    targets, start = quadratic_problem(outside=False)
    whole = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    reference = totals(whole, targets, 10)
    first = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    costs = [float(first.step(targets)["total"][0]) for _ in range(4)]
    path = tf.train.Checkpoint(**first.state()).write(str(tmp_path / "ckpt"))
    resumed = LbfgsOptimizer(quadratic, np.zeros_like(start), MEANS, jit=False)
    tf.train.Checkpoint(**resumed.state()).read(path).assert_consumed()
    assert resumed.updates == 4
    assert costs + totals(resumed, targets, 6) == reference


def test_when_the_cost_cannot_fall_it_restarts_once_then_keeps_the_image(caplog):
    targets, start = quadratic_problem(shape=(1, 2, 2, 3), outside=False)
    optimizer = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    with caplog.at_level("INFO"):
        rows = [optimizer.step(targets) for _ in range(40)]
    messages = [r.getMessage() for r in caplog.records if "L-BFGS" in r.getMessage()]
    assert len(messages) == 2, messages
    assert "history is dropped" in messages[0] and "kept from now on" in messages[1]
    kept = optimizer.image.numpy()
    evaluations = float(rows[-1]["evaluations"][0])
    row = optimizer.step(targets)
    assert np.array_equal(optimizer.image.numpy(), kept)
    assert float(row["evaluations"][0]) == evaluations  # a kept image costs no evaluation
    assert optimizer.updates == 41


def test_jit_gives_the_same_steps():
    targets, start = quadratic_problem()
    plain = totals(LbfgsOptimizer(quadratic, start, MEANS, jit=False), targets, 8)
    compiled = totals(LbfgsOptimizer(quadratic, start, MEANS, jit=True), targets, 8)
    np.testing.assert_allclose(compiled, plain, rtol=1e-4)


def test_state_lives_in_the_scope_it_was_built_in():
    targets, start = quadratic_problem()
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        optimizer = LbfgsOptimizer(quadratic, start, MEANS, jit=False)
    assert all(v.device.endswith("CPU:0") for v in optimizer.state().values())
    with strategy.scope():
        scoped = totals(optimizer, targets, 4)
    assert scoped == totals(LbfgsOptimizer(quadratic, start, MEANS, jit=False), targets, 4)


# -- the tiny VGG net -------------------------------------------------------------------------

STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1")


def tiny_net_problem(width=24, height=18):
    """The paper's eqs. 1-4 on the tiny network, its targets an argument of the objective."""
    weights = vgg.random_weights(0, TINY_CHANNELS, bias_scale=0.1)
    extractor = vgg.build_feature_extractor(weights, ["conv2_2", *STYLE_LAYERS])

    def features(image):
        return extractor(tf.constant(image, tf.float32) if isinstance(image, np.ndarray) else image)

    content = smooth_image(width, height, 1).astype(np.float32)[None] - np.float32(PAPER_MEANS)
    style = smooth_image(width, height, 7).astype(np.float32)[None] - np.float32(PAPER_MEANS)
    style_features = features(style)
    targets = {
        "content": features(content)["conv2_2"],
        "grams": {name: losses.activation_gram(style_features[name])[0] for name in STYLE_LAYERS},
    }

    def objective(image, targets):
        generated = features(image)
        J_content = losses.compute_content_cost(targets["content"], generated["conv2_2"])
        J_style = tf.add_n(
            [
                losses.layer_style_cost_from_gram(targets["grams"][name], generated[name]) / 3
                for name in STYLE_LAYERS
            ]
        )
        J = losses.total_cost(J_content, J_style, 10.0, 40.0)
        return tf.reduce_sum(J), {"total": J, "content": J_content, "style": J_style}

    rng = np.random.RandomState(0)
    start = (0.6 * rng.uniform(-20, 20, content.shape) + 0.4 * content).astype(np.float32)
    return objective, targets, start


def test_tiny_net_cost_falls_every_iteration_as_far_as_scipys_lbfgsb():
    objective, targets, start = tiny_net_problem()
    optimizer = LbfgsOptimizer(objective, start, PAPER_MEANS, jit=False)
    ours = totals(optimizer, targets, 30)
    assert all(b < a for a, b in itertools.pairwise(ours)), ours
    lower, upper = -np.float32(PAPER_MEANS), 255.0 - np.float32(PAPER_MEANS)
    image = optimizer.image.numpy()
    assert ((lower <= image) & (image <= upper)).all()

    @tf.function
    def value_and_gradient_tf(image):
        with tf.GradientTape() as tape:
            tape.watch(image)
            J, _ = objective(image, targets)
        return J, tape.gradient(J, image)

    def value_and_gradient(x):
        J, gradient = value_and_gradient_tf(tf.constant(x.reshape(start.shape), tf.float32))
        return float(J), gradient.numpy().astype(np.float64).ravel()

    theirs, _ = scipy_lbfgsb(value_and_gradient, start, box(start.shape, PAPER_MEANS), 30)
    assert len(theirs) == 30
    # The paths differ (another line search on a non-convex cost: either leads by up to 2x in
    # between); after the same 30 iterations both are about as far, 1000x below the start.
    assert ours[-1] <= 1.2 * theirs[-1], (ours[-1], theirs[-1])
    assert ours[-1] < ours[0] / 1000


def test_the_stored_terms_follow_the_objectives_names_and_order():
    objective, targets, start = tiny_net_problem(12, 9)
    optimizer = LbfgsOptimizer(objective, start, PAPER_MEANS, jit=False)
    terms = optimizer.step(targets)
    assert list(terms) == ["total", "content", "style", "evaluations"]
    _, expected = objective(tf.constant(start), targets)
    for name in expected:
        assert float(terms[name][0]) == pytest.approx(float(expected[name][0]), rel=1e-5)
    assert set(optimizer.state()) == {"image", "last_finite"} | {
        f"lbfgs_{name}" for name in lbfgs._STATE
    }


# -- through nst-tf ---------------------------------------------------------------------------


def test_tiny_net_run_falls_every_iteration_with_trace_log_and_checkpoints(
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
    assert all(e >= i + 2 for i, e in enumerate(evaluations))  # the start's, then >= 1 each
    assert evaluations == sorted(evaluations)
    assert read_trace(str(tmp_path / "trace.csv"))[-1]["evaluations"] == evaluations[-1]
    assert "Iteration 11 :" in caplog.text and "total cost = " in caplog.text
    assert os.listdir(tmp_path / "tensorboard")
    checkpoints = sorted(n for n in os.listdir(tmp_path / "checkpoints") if n.endswith(".index"))
    assert checkpoints == ["ckpt-11.index", "ckpt-12.index", "ckpt-6.index"]
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["status"] == "completed" and record["config"]["optimizer"] == "lbfgs"


def test_a_stopped_run_resumes_into_the_uninterrupted_trace(
    tiny_vgg_path, tiny_images, tmp_path, monkeypatch
):
    settings = dict(optimizer="lbfgs", num_iterations=10, log_every=1, checkpoint_every=3)
    whole = stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "whole", **settings))
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path / "stopped", **settings)
    with monkeypatch.context() as patch:
        _stop_after(patch, 5)  # SIGTERM after update 5: checkpointed there
        with pytest.raises(stylize.RunStoppedError) as stop:
            stylize.stylize(config)
    assert stop.value.exit_code == 143
    resumed = stylize.stylize(config, resume=True)
    assert [row["iteration"] for row in resumed.trace] == list(range(10))
    for ours, reference in zip(resumed.trace, whole.trace, strict=True):
        for name in ("total_cost", "content_cost", "style_cost", "evaluations"):
            assert ours[name] == pytest.approx(reference[name], rel=1e-5), (ours, reference)


def test_resume_after_kill_9_matches_an_uninterrupted_run(tiny_vgg_path, tiny_images, tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    flags = [*_base_flags(tiny_vgg_path, tiny_images, whole, 60), "--optimizer=lbfgs"]
    assert run_cli(*flags).returncode == 0
    flags = [*_base_flags(tiny_vgg_path, tiny_images, killed, 60), "--optimizer=lbfgs"]
    process = _start(flags)
    _wait_for(lambda: len(_checkpoints(killed)) >= 2, process)
    process.kill()  # SIGKILL: no handler runs
    process.communicate(timeout=60)
    assert len(read_trace(str(killed / "trace.csv"))) < 60  # killed before the end
    resumed = run_cli(*flags, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    ours, reference = read_trace(str(killed / "trace.csv")), read_trace(str(whole / "trace.csv"))
    assert [row["iteration"] for row in ours] == list(range(60))
    for row, expected in zip(ours, reference, strict=True):
        for name in expected:
            if name != "seconds":
                assert row[name] == pytest.approx(expected[name], rel=1e-5), (name, row)


def test_lbfgs_runs_each_scale_of_a_coarse_to_fine_schedule(tiny_vgg_path, tiny_images, tmp_path):
    config = tiny_config(
        tiny_vgg_path, tiny_images, tmp_path, optimizer="lbfgs", scales=(20, 40),
        scale_iterations=(3, 3),
    )  # fmt: skip
    trace = stylize.stylize(config).trace
    assert [row["long_side"] for row in trace] == [20, 20, 20, 40, 40, 40]
    assert all(row["evaluations"] >= 1 for row in trace[1:])
    assert trace[-1]["total_cost"] < trace[3]["total_cost"]


def test_an_iteration_is_logged_as_soon_as_it_ends(tiny_vgg_path, tiny_images, tmp_path):
    """L-BFGS stores the terms of the image it accepted, so iteration i is logged after step i
    (not after step i + 1, as Adam's must be): iteration 0 comes after one step, not two."""
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, optimizer="lbfgs")
    run = build_lib.build(config)
    logged = []

    class Hooks:
        def on_costs(self, iteration, terms):
            logged.append((iteration, run.optimizer.updates, terms["total"]))

        def on_image(self, iteration, image): ...
        def on_step(self, iteration): ...
        def on_checkpoint(self, updates): ...

    schedule = loop.Schedule(log_every=1, save_every=100, checkpoint_every=100)
    loop.run_loop(run.optimizer, run.targets, 3, schedule, Hooks())
    assert [(iteration, updates) for iteration, updates, _ in logged] == [(0, 1), (1, 2), (2, 3)]
    adam = build_lib.build(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "adam"))
    assert not adam.optimizer.stores_terms and run.optimizer.stores_terms


def torch_optim_lbfgs(grad, x, iterations, history):
    """Torch's optim.lbfgs without a lineSearch (learningRate 1), transcribed in float64: the
    first step t = min(1, 1/|g|_1) along -g, every later one t = 1 along -H g; pairs with
    y.s > 1e-10 are kept, H's scaling is y.s / y.y of the newest."""
    x = x.astype(np.float64).ravel()
    g = grad(x)
    d, t = -g, min(1.0, 1.0 / np.abs(g).sum())
    g_old, pairs, h_diag, iterates = g, [], 1.0, []
    for n in range(iterations):
        if n > 0:
            y, s = g - g_old, d * t
            if y @ s > 1e-10:
                pairs = [*pairs, (s, y)][-history:]
                h_diag = (y @ s) / (y @ y)
            q, alphas = -g, []
            for s_i, y_i in reversed(pairs):
                alpha = (s_i @ q) / (y_i @ s_i)
                q = q - alpha * y_i
                alphas.append(alpha)
            d = q * h_diag
            for (s_i, y_i), alpha in zip(pairs, reversed(alphas), strict=True):
                d = d + s_i * (alpha - (y_i @ d) / (y_i @ s_i))
            t = 1.0
        g_old = g
        x = x + t * d
        g = grad(x)
        iterates.append(x.copy())
    return iterates


def test_without_a_line_search_it_steps_as_torchs_optim_lbfgs():
    """--lbfgs_line_search=none, as Li & Wand's and Luan et al.'s code ran L-BFGS."""
    targets, start = quadratic_problem(outside=False)
    weights = targets["weights"].numpy().astype(np.float64).ravel()
    target = targets["target"].numpy().astype(np.float64).ravel()
    start = start * 0.05  # small gradients: steps that stay inside the box, as Torch's are
    expected = torch_optim_lbfgs(lambda x: 2 * weights * (x - target), start, 8, history=4)
    optimizer = LbfgsOptimizer(quadratic, start, MEANS, jit=False, history=4, line_search=False)
    for step, reference in enumerate(expected):
        optimizer.step(targets)
        np.testing.assert_allclose(
            optimizer.image.numpy().ravel(), reference, rtol=1e-3, atol=1e-2, err_msg=str(step)
        )
    assert optimizer.evaluate(targets)["evaluations"][0] == 9  # the start, then one per step

"""The objective's gradient against central differences, and Adam's first update."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from nst_tf.images.noise import generate_noise_image
from nst_tf.model import vgg
from nst_tf.optim.adam import AdamOptimizer
from tests.helpers import paper_objective, prepare, tiny_vgg_weights

HEIGHT, WIDTH = 10, 12
PAPER_STYLE = (("conv1_1", 0.2), ("conv2_1", 0.2), ("conv3_1", 0.2), ("conv4_1", 0.2),
               ("conv5_1", 0.2))  # fmt: skip
SETTINGS = {
    # (content layer, style layers, alpha, beta)
    "paper": ("conv4_2", PAPER_STYLE, 10.0, 40.0),
    "content_only": ("conv2_2", PAPER_STYLE, 10.0, 0.0),
    "style_only": ("conv4_2", (("conv1_2", 0.7), ("conv3_1", 0.3)), 0.0, 40.0),
}
# Central-difference steps along unit directions (pixels are O(100)). The costs with a large
# style term (J ~ 5e6 in float32) need a big step to rise above rounding; the content-only cost
# (J ~ 1e2, rounding ~1e-5) needs a small one, as ReLU kinks crossed within +-h bend it sooner.
STEPS = {"paper": 0.3, "content_only": 0.01, "style_only": 0.3}


@pytest.fixture(scope="module")
def extractor():
    kernels, biases = tiny_vgg_weights()
    weights = vgg.VggWeights(kernels, biases, None, None)
    return vgg.build_feature_extractor(weights, vgg.CONV_LAYERS)


def _make_step(extractor, setting, learning_rate=2.0):
    content_layer, style_layers, alpha, beta = SETTINGS[setting]
    rng = np.random.RandomState(0)
    content = rng.uniform(-100, 100, (1, HEIGHT, WIDTH, 3)).astype(np.float32)
    style = rng.uniform(-100, 100, (1, HEIGHT, WIDTH, 3)).astype(np.float32)
    objective = paper_objective(extractor, content_layer, style_layers, alpha, beta)
    targets = prepare(objective, content, [style])
    x0 = generate_noise_image(content, 0.6, seed=1)
    return AdamOptimizer(objective, x0, learning_rate, jit=False), x0, targets


def _tape_gradient(step, targets):
    with tf.GradientTape() as tape:
        J, _ = step.objective(step.image, targets)
    return tape.gradient(J, step.image).numpy().astype(np.float64)


def _costs(terms):
    return {name: float(value[0]) for name, value in terms.items()}


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_gradient_matches_central_differences(extractor, setting):
    step, x0, targets = _make_step(extractor, setting)
    g = _tape_gradient(step, targets)
    assert np.isfinite(g).all() and np.linalg.norm(g) > 0

    def J(x):
        step.image.assign(x.astype(np.float32))
        return _costs(step.evaluate(targets))["total"]

    rng = np.random.RandomState(42)
    h = STEPS[setting]
    typical = np.linalg.norm(g) / np.sqrt(g.size)  # |g . d| expected for a random unit d
    for _ in range(3):
        d = rng.randn(*x0.shape)
        d /= np.linalg.norm(d)
        analytic = float(np.sum(g * d))
        numeric = (J(x0 + h * d) - J(x0 - h * d)) / (2 * h)
        # The derivative is clearly non-zero, so a wrong (zero, halved, ...) gradient fails.
        assert abs(numeric) > 0.05 * typical, (setting, numeric, typical)
        assert abs(analytic - numeric) <= 2e-2 * max(abs(numeric), typical), (
            setting,
            analytic,
            numeric,
        )


def test_step_applies_the_tape_gradient(extractor):
    # Swap in plain SGD(1) before the step is first traced: the update is then exactly -g.
    step, x0, targets = _make_step(extractor, "paper")
    g = _tape_gradient(step, targets)
    step.optimizer = keras.optimizers.SGD(learning_rate=1.0)
    step.optimizer.build([step.image])
    step.step(targets)
    delta = step.image.numpy().astype(np.float64) - x0
    np.testing.assert_allclose(delta, -g, rtol=1e-3, atol=1e-3 * np.abs(g).max())


def test_first_adam_update_is_lr_times_sign(extractor):
    step, x0, targets = _make_step(extractor, "paper", learning_rate=2.0)
    g = _tape_gradient(step, targets)
    before = _costs(step.evaluate(targets))
    returned = _costs(step.step(targets))
    # The costs the step returns are those of the image it started from.
    assert list(returned) == ["total", "content", "style"] + [
        f"style/conv{block}_1" for block in range(1, 6)
    ]
    for name, value in returned.items():
        assert value == pytest.approx(before[name], rel=1e-6), name
    assert sum(returned[f"style/conv{b}_1"] for b in range(1, 6)) == pytest.approx(
        returned["style"], rel=1e-6
    )
    # First Adam update (m = 0.1 g, v = 0.001 g^2, bias-corrected; TF1 epsilon 1e-8 enters
    # as 1e-8 / sqrt(1 - 0.999)): -lr * g / (|g| + 3.16e-7), i.e. -2 sign(g) here.
    delta = step.image.numpy().astype(np.float64) - x0
    expected = -2.0 * g / (np.abs(g) + 1e-8 / np.sqrt(1 - 0.999))
    assert np.abs(g).min() > 1e-3  # so the sign is unambiguous
    np.testing.assert_allclose(delta, expected, rtol=0, atol=1e-4)
    np.testing.assert_allclose(delta, -2.0 * np.sign(g), rtol=0, atol=1e-4)
    # The image after the step has the costs a second step reports.
    after = _costs(step.evaluate(targets))
    assert _costs(step.step(targets))["total"] == pytest.approx(after["total"], rel=1e-6)
    assert after["total"] != pytest.approx(before["total"], rel=1e-6)

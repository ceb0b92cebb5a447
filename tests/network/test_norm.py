"""Conditional instance norm: one-hot weights pick a style's row, others mix rows, and per-pixel
maps reach every layer's resolution exactly (float64 NumPy references)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from nst_tf.network.norm import conditional_instance_norm, mix
from nst_tf.network.style_maps import pyramid, with_identity
from nst_tf.network.transformer import StyleNetwork

RNG = np.random.RandomState(0)


def _normalized(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    mean = x.mean(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5)


def test_one_hot_weights_are_exactly_that_styles_gamma_and_beta():
    x = RNG.randn(3, 5, 7, 4).astype(np.float32)
    gamma, beta = RNG.randn(3, 4).astype(np.float32), RNG.randn(3, 4).astype(np.float32)
    slots = np.array([2, 0, 1])
    out = conditional_instance_norm(x, gamma, beta, tf.one_hot(slots, 3)).numpy()
    expected = _normalized(x) * gamma[slots][:, None, None] + beta[slots][:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(mix(gamma, tf.one_hot(slots, 3)).numpy()[:, 0, 0], gamma[slots])


def test_weights_give_the_weighted_sums_of_the_rows():
    x = RNG.randn(2, 6, 6, 4).astype(np.float32)
    gamma, beta = RNG.randn(3, 4).astype(np.float32), RNG.randn(3, 4).astype(np.float32)
    weights = np.array([[0.2, 0.5, 0.3], [0.0, 0.25, 0.75]], np.float32)
    out = conditional_instance_norm(x, gamma, beta, tf.constant(weights)).numpy()
    g, b = weights.astype(np.float64) @ gamma, weights.astype(np.float64) @ beta
    np.testing.assert_allclose(out, _normalized(x) * g[:, None, None] + b[:, None, None], atol=2e-5)


def _pool_same(maps: np.ndarray) -> np.ndarray:
    """2x2 stride-2 average over the pixels inside the image (TF's SAME: the odd edge alone)."""
    _, height, width, _ = maps.shape
    out = np.zeros((maps.shape[0], -(-height // 2), -(-width // 2), maps.shape[3]))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = maps[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].mean(axis=(1, 2))
    return out


def test_maps_carry_to_every_resolution_and_weight_each_pixel_exactly():
    maps = RNG.dirichlet(np.ones(3), size=(1, 11, 13)).astype(np.float32)  # odd sides
    gamma = RNG.randn(3, 4).astype(np.float32)
    expected = maps.astype(np.float64)
    for level in pyramid(tf.constant(maps), 3):
        np.testing.assert_allclose(level.numpy(), expected, atol=1e-6)
        np.testing.assert_allclose(mix(gamma, level).numpy(), expected @ gamma, atol=1e-5)
        np.testing.assert_allclose(level.numpy().sum(axis=-1), 1.0, atol=1e-6)  # still a mix
        expected = _pool_same(expected)


def test_a_region_has_its_styles_gamma_at_every_resolution():
    # Boundaries on multiples of 4 stay sharp after two 2x2 pools: each pixel is one style.
    style = np.zeros((1, 16, 16), np.int64)
    style[:, :, 8:] = 2
    style[:, 12:, :] = 1
    gamma = RNG.randn(3, 5).astype(np.float32)
    for level, scale in zip(pyramid(tf.one_hot(style, 3), 3), (1, 2, 4), strict=True):
        picked = style[:, ::scale, ::scale]
        np.testing.assert_array_equal(mix(gamma, level).numpy(), gamma[picked])


def test_uniform_maps_equal_per_image_weights_at_odd_sizes():
    network = StyleNetwork(3, width=0.125, seed=1)
    for layer in network.layers:  # distinct styles, so a wrong row would show
        layer.gamma.assign(RNG.uniform(0.5, 1.5, layer.gamma.shape))
        layer.beta.assign(RNG.randn(*layer.beta.shape) * 0.1)
    image = RNG.uniform(0, 255, (2, 21, 19, 3)).astype(np.float32)
    weights = with_identity(tf.constant([[0.7, 0.3], [0.0, 1.0]])).numpy()
    maps = np.broadcast_to(weights[:, None, None], (2, 21, 19, 3))
    per_image = network(image, weights).numpy()
    assert per_image.shape == image.shape
    np.testing.assert_allclose(network(image, maps).numpy(), per_image, atol=2e-3)
    assert np.abs(per_image[0] - network(image[:1], np.eye(3)[[1]]).numpy()[0]).max() > 0.1

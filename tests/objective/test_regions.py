"""Spatial control: masks carried through VGG's pools, region Grams, a two-region run."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from nst_tf.model import vgg
from nst_tf.objective import losses, regions

LAYERS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]


def _pool_reference(mask: np.ndarray, pooling: str) -> np.ndarray:
    """2x2 stride-2 SAME pooling in NumPy: odd edges pool the pixels that exist."""
    height, width = mask.shape
    out = np.empty((-(-height // 2), -(-width // 2)))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = mask[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            out[i, j] = window.mean() if pooling == "avg" else window.max()
    return out


@pytest.mark.parametrize("pooling", vgg.POOLINGS)
def test_masks_follow_the_networks_pools_exactly(pooling):
    rng = np.random.RandomState(0)
    mask = (rng.uniform(size=(37, 51)) > 0.6) * rng.uniform(size=(37, 51))  # odd sizes, soft
    got = regions.layer_masks(mask, LAYERS, pooling)
    expected, pool_class = (
        mask,
        {"avg": keras.layers.AveragePooling2D, "max": keras.layers.MaxPooling2D},
    )
    layer = pool_class[pooling](2, strides=2, padding="same")
    keras_mask = tf.constant(mask[None, :, :, None], tf.float32)
    for block, name in enumerate(LAYERS):
        if block:
            expected = _pool_reference(expected, pooling)
            keras_mask = layer(keras_mask)
        assert got[name].shape == (1, *expected.shape, 1), name
        np.testing.assert_allclose(got[name][0, :, :, 0], expected, rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(got[name].numpy(), keras_mask.numpy())


def test_region_gram_does_not_shrink_with_the_regions_area():
    rng = np.random.RandomState(1)
    pattern = rng.uniform(size=(1, 1, 1, 4)).astype(np.float32)
    features = tf.constant(np.tile(pattern, (1, 8, 10, 1)))  # the same statistics everywhere
    whole = losses.activation_gram(features)
    for columns in (1, 3, 10):
        mask = np.zeros((1, 8, 10, 1), np.float32)
        mask[..., :columns, :] = 1.0
        np.testing.assert_allclose(
            regions.masked_gram(features, tf.constant(mask)), whole, rtol=1e-5
        )
    ones = tf.ones((1, 8, 10, 1))
    GS = tf.constant(rng.uniform(size=(4, 4)).astype(np.float32))
    np.testing.assert_allclose(
        regions.layer_style_cost_in_region(GS, features, ones),
        losses.layer_style_cost_from_gram(GS, features),
        rtol=1e-6,
    )

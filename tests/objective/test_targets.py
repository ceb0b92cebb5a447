"""Style targets: the Gram rescaling across sizes, and blends of several styles."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst_tf.images.io import normalize
from nst_tf.model import vgg
from nst_tf.objective import losses
from nst_tf.objective.targets import blend_grams, compute_targets
from tests.helpers import smooth_image, tiny_vgg_weights

LAYERS = (("conv1_1", 0.5), ("conv3_1", 0.5))


@pytest.fixture(scope="module")
def extractor():
    kernels, biases = tiny_vgg_weights()
    weights = vgg.VggWeights(kernels, biases, None, None)
    return vgg.build_feature_extractor(weights, ["conv4_2", "conv1_1", "conv3_1"])


def _style_gram(extractor, image, name):
    return losses.activation_gram(extractor(tf.constant(image))[name])[0].numpy()


def test_style_gram_at_the_generated_size_is_the_papers_bit_for_bit(extractor):
    content, style = normalize(smooth_image(20, 15, 1)), normalize(smooth_image(20, 15, 2))
    targets = compute_targets(extractor, content, [style], "conv4_2", LAYERS)
    (target,) = targets.styles
    assert target.weight == 1.0 and target.masks is None
    for name, _ in LAYERS:
        np.testing.assert_array_equal(target.grams[name], _style_gram(extractor, style, name))


def test_style_gram_at_another_size_is_scaled_by_the_ratio_of_positions(extractor):
    content, style = normalize(smooth_image(20, 15, 1)), normalize(smooth_image(36, 28, 2))
    (target,) = compute_targets(extractor, content, [style], "conv4_2", LAYERS).styles
    # conv1_1: 20x15 vs 36x28 positions; conv3_1 after two SAME pools: 5x4 vs 9x7.
    for name, ratio in (("conv1_1", 300 / 1008), ("conv3_1", 20 / 63)):
        expected = _style_gram(extractor, style, name) * ratio
        np.testing.assert_allclose(target.grams[name], expected, rtol=1e-6)


def test_blend_is_the_normalised_weighted_sum_of_grams():
    a = {"conv1_1": tf.constant([[1.0, 2.0], [2.0, 5.0]])}
    b = {"conv1_1": tf.constant([[3.0, 0.0], [0.0, 1.0]])}
    got = blend_grams([a, b], [1.0, 3.0])["conv1_1"].numpy()
    np.testing.assert_allclose(got, 0.25 * a["conv1_1"].numpy() + 0.75 * b["conv1_1"].numpy())
    assert blend_grams([a, b], [2.0, 0.0]) is a  # one style left: its own Grams, untouched


def test_blend_of_a_style_with_itself_is_that_style(extractor):
    content, style = normalize(smooth_image(20, 15, 1)), normalize(smooth_image(20, 15, 2))
    single = compute_targets(extractor, content, [style], "conv4_2", LAYERS).styles[0]
    twice = compute_targets(extractor, content, [style, style], "conv4_2", LAYERS, [0.5, 0.5])
    for name, _ in LAYERS:
        np.testing.assert_array_equal(twice.styles[0].grams[name], single.grams[name])

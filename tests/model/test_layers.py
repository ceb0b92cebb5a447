"""ConvReLU's input gradient (a forward conv with the flipped kernel) equals TensorFlow's."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst_tf.model.layers import ConvReLU, conv_bias_relu, flipped_transposed


def test_flipped_transposed_kernel_golden():
    kernel = np.arange(3 * 3 * 2 * 1, dtype=np.float32).reshape(3, 3, 2, 1)
    flipped = flipped_transposed(kernel)
    assert flipped.shape == (3, 3, 1, 2)
    # Rotated by 180 degrees: the top-left tap is the old bottom-right one.
    np.testing.assert_array_equal(flipped[0, 0, 0], kernel[2, 2, :, 0])
    np.testing.assert_array_equal(flipped[1, 2, 0], kernel[1, 0, :, 0])


@pytest.mark.parametrize("shape", [(1, 7, 5, 3), (2, 6, 9, 4)])
def test_input_gradient_matches_tensorflows_conv_gradient(shape):
    rng = np.random.RandomState(0)
    x = tf.constant(rng.randn(*shape).astype(np.float32))
    kernel = rng.randn(3, 3, shape[3], 6).astype(np.float32)
    bias = rng.randn(6).astype(np.float32) * 0.5
    upstream = tf.constant(rng.randn(*shape[:3], 6).astype(np.float32))

    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ours = conv_bias_relu(x, kernel, flipped_transposed(kernel), bias)
        reference = tf.nn.relu(tf.nn.conv2d(x, kernel, 1, "SAME") + bias)
        ours_loss = tf.reduce_sum(ours * upstream)
        reference_loss = tf.reduce_sum(reference * upstream)
    np.testing.assert_allclose(ours.numpy(), reference.numpy(), rtol=1e-5, atol=1e-5)
    ours_grad = tape.gradient(ours_loss, x).numpy()
    reference_grad = tape.gradient(reference_loss, x).numpy()
    assert np.abs(reference_grad).max() > 0.1
    np.testing.assert_allclose(ours_grad, reference_grad, rtol=1e-5, atol=1e-5)


def test_layer_is_frozen_and_rejects_other_kernel_sizes():
    layer = ConvReLU(np.ones((3, 3, 2, 4), np.float32), np.zeros(4, np.float32))
    assert layer.trainable_weights == [] and len(layer.weights) == 3
    assert layer(tf.ones([1, 5, 5, 2])).shape == (1, 5, 5, 4)
    with pytest.raises(ValueError, match="3x3"):
        ConvReLU(np.ones((5, 5, 2, 4), np.float32), np.zeros(4, np.float32))

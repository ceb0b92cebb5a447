"""VGG's conv + bias + ReLU as a Keras layer whose input gradient is a forward convolution.

Style transfer differentiates with respect to the image only: the weights are constants, so
the backward pass needs dL/dx and nothing else. TensorFlow computes that with
Conv2DBackpropInput, which runs at roughly half the speed of a forward Conv2D on the CPUs
measured here (docs/performance.md). For a 3x3 kernel, stride 1 and SAME padding, dL/dx is
exactly the forward SAME convolution of dL/dy with the kernel flipped in space and with its
channel axes swapped, so that kernel is prepared once and the backward pass reuses the fast
forward convolution.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def flipped_transposed(kernel: np.ndarray) -> np.ndarray:
    """[kh, kw, in, out] -> [kh, kw, out, in] rotated by 180 degrees: the input-gradient kernel."""
    return np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2))


@tf.custom_gradient
def conv_bias_relu(
    x: tf.Tensor, kernel: tf.Tensor, gradient_kernel: tf.Tensor, bias: tf.Tensor
) -> tf.Tensor:
    """relu(conv2d_same(x, kernel) + bias), differentiable in x only."""
    y = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, 1, "SAME"), bias))

    def gradient(dy: tf.Tensor):
        dz = tf.raw_ops.ReluGrad(gradients=dy, features=y)
        return tf.nn.conv2d(dz, gradient_kernel, 1, "SAME"), None, None, None

    return y, gradient


class ConvReLU(keras.layers.Layer):
    """A frozen 3x3 SAME conv + bias + ReLU with the fast input gradient (module doc)."""

    def __init__(self, kernel: np.ndarray, bias: np.ndarray, **kwargs):
        super().__init__(trainable=False, **kwargs)
        if kernel.shape[:2] != (3, 3):
            raise ValueError(f"ConvReLU needs a 3x3 kernel, got {kernel.shape}")
        self.filters = int(kernel.shape[3])
        self.kernel = self._constant("kernel", kernel)
        self.gradient_kernel = self._constant("gradient_kernel", flipped_transposed(kernel))
        self.bias = self._constant("bias", bias)

    def _constant(self, name: str, value: np.ndarray):
        weight = self.add_weight(name=name, shape=value.shape, initializer="zeros", trainable=False)
        weight.assign(np.asarray(value, dtype=weight.dtype))
        return weight

    def call(self, x):
        return conv_bias_relu(x, self.kernel.value, self.gradient_kernel.value, self.bias.value)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

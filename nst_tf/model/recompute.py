"""One VGG block whose activations are recomputed in the backward pass instead of kept.

The plain step keeps every ReLU output down to conv5_1 for the backward pass (6.6 GiB peak RSS
measured at 2048x1536). Wrapped per block in `tf.recompute_grad`, the forward pass keeps only
each block's input and the layers the losses read; the backward pass reruns one block at a time
(1.2-1.4x the step time measured) and holds that block's activations only while it
differentiates them. Measured at 1024x768 this cuts TensorFlow's allocator peak by a third but
the process peak by only 8-11%: block 1's backward pass, at full resolution and 64 channels,
dominates either way (docs/performance.md). The run chooses this path when the memory estimate
says the plain one does not fit (nst_tf/runtime/memory.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf


class RecomputedBlock(keras.layers.Layer):
    """Layers applied in order; returns [block output, *the outputs of `taps`]."""

    def __init__(self, layers: Sequence[keras.layers.Layer], taps: Sequence[str], **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.block_layers = list(layers)
        self.taps = tuple(taps)
        self._forward = tf.recompute_grad(self._apply)

    def _apply(self, x: tf.Tensor) -> list[tf.Tensor]:
        tapped = {}
        for layer in self.block_layers:
            x = layer(x)
            if layer.name in self.taps:
                tapped[layer.name] = x
        return [x, *(tapped[name] for name in self.taps)]

    def call(self, x):
        return self._forward(x)

    def compute_output_shape(self, input_shape):
        shapes = {}
        shape = input_shape
        for layer in self.block_layers:
            shape = layer.compute_output_shape(shape)
            shapes[layer.name] = shape
        return [shape, *(shapes[name] for name in self.taps)]

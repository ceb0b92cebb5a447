"""VGG features of fixed images (content, styles), for targets: traced once per shape.

Targets are computed outside the step, once per job; a batch of many jobs of one size would
otherwise trace a fresh function per job. One `TargetFeatures` per extractor keeps one traced
function per (layers, reduction), so every job after the first reuses it. Inside a graph each
activation is freed once used, and a reduction (a Gram) is taken inside it too, so each style
layer's map goes as soon as its Gram is taken (at 4096 px conv1_1 alone is 3 GiB), and a pass
that needs only conv4_2 stops there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

Reduction = Callable[[tf.Tensor], tf.Tensor]


def features_fp32(extractor: keras.Model, image: tf.Tensor) -> dict[str, tf.Tensor]:
    """Runs the extractor; Grams and losses always see float32, whatever the conv precision."""
    return {name: tf.cast(value, tf.float32) for name, value in extractor(image).items()}


class TargetFeatures:
    """`extractor`'s features of a fixed image, at chosen layers, optionally reduced."""

    def __init__(self, extractor: keras.Model):
        self.extractor = extractor
        self._functions: dict[tuple, Callable] = {}

    def __call__(
        self,
        image: np.ndarray,
        layers: Sequence[str],
        reduction: Reduction | None = None,
    ) -> dict[str, tf.Tensor]:
        """{layer: features [1, h, w, C], or reduction(features)} of a normalized image."""
        key = (tuple(layers), reduction)
        if key not in self._functions:
            wanted = tuple(layers)
            reduce = reduction or (lambda value: value)

            def extract(pixels: tf.Tensor) -> dict[str, tf.Tensor]:
                features = features_fp32(self.extractor, pixels)
                return {name: reduce(features[name]) for name in wanted}

            self._functions[key] = tf.function(extract)
        return self._functions[key](tf.constant(image, tf.float32))

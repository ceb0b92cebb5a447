"""What the objective compares against, computed once per run, outside the step.

The content target is a_C at the content layer. Style targets are a list, each with its own
Grams and weight, because blends of several styles and styles confined to regions each need
their own entry; the paper's run has exactly one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from nst_tf.objective import losses


@dataclasses.dataclass(frozen=True)
class StyleTarget:
    """One style: its Gram matrix per style layer ([n_C, n_C]) and its share of eq. 3."""

    grams: dict[str, tf.Tensor]
    weight: float = 1.0


@dataclasses.dataclass(frozen=True)
class Targets:
    content: tf.Tensor  # a_C, [1, n_H, n_W, n_C] at the content layer
    styles: tuple[StyleTarget, ...]


def features_fp32(extractor: keras.Model, image: tf.Tensor) -> dict[str, tf.Tensor]:
    """Runs the extractor; Grams and losses always see float32, whatever the conv precision."""
    return {name: tf.cast(value, tf.float32) for name, value in extractor(image).items()}


def compute_targets(
    extractor: keras.Model,
    content_image: np.ndarray,
    style_images: Sequence[np.ndarray],
    content_layer: str,
    style_layers: Sequence[tuple[str, float]],
    style_weights: Sequence[float] | None = None,
) -> Targets:
    """a_C of the content image and the Grams of each style image, as constants."""
    # A graph frees each activation once used; an eager functional call holds them all. The
    # Grams are taken inside the graph too, so each style layer's map goes as soon as its Gram
    # is taken (at 4096 px conv1_1 alone is 3 GiB), and the content pass stops at its layer.

    @tf.function
    def content_of(image: tf.Tensor) -> tf.Tensor:
        return features_fp32(extractor, image)[content_layer]

    @tf.function
    def grams_of(image: tf.Tensor) -> dict[str, tf.Tensor]:
        features = features_fp32(extractor, image)
        return {name: losses.activation_gram(features[name])[0] for name, _ in style_layers}

    content = content_of(tf.constant(content_image))
    weights = list(style_weights) if style_weights is not None else [1.0] * len(style_images)
    styles = []
    for image, weight in zip(style_images, weights, strict=True):
        styles.append(StyleTarget(grams_of(tf.constant(image)), float(weight)))
    return Targets(content, tuple(styles))

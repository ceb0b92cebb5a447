"""What the objective compares against, computed once per run, outside the step.

The content target is a_C at the content layer. Style targets are a list, each with its own
Grams and weight: a blend of several styles is one target whose Grams are the weighted sum of
theirs (the paper's run: one style, its own Grams); styles confined to regions are one target
each, with its mask at every layer (nst_tf.objective.regions).

A style image of another size than the generated image has another n_H n_W at every layer, and
its Gram sums over that many positions; eq. 2 divides by the generated image's (n_H n_W)^2, so
the style's Gram is scaled by (n_H n_W)_G / (n_H n_W)_S to compare like with like. At equal
sizes nothing is multiplied, so the paper's targets are bit for bit the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from nst_tf.objective import losses, regions


@dataclasses.dataclass(frozen=True)
class StyleTarget:
    """One style: its Gram matrix per style layer ([n_C, n_C]) and its share of eq. 3.

    With masks ({layer: [1, n_H, n_W, 1]}), its cost is taken inside that region only.
    """

    grams: dict[str, tf.Tensor]
    weight: float = 1.0
    masks: dict[str, tf.Tensor] | None = None


@dataclasses.dataclass(frozen=True)
class Targets:
    content: tf.Tensor  # a_C, [1, n_H, n_W, n_C] at the content layer
    styles: tuple[StyleTarget, ...]


def features_fp32(extractor: keras.Model, image: tf.Tensor) -> dict[str, tf.Tensor]:
    """Runs the extractor; Grams and losses always see float32, whatever the conv precision."""
    return {name: tf.cast(value, tf.float32) for name, value in extractor(image).items()}


def style_gram(a_S: tf.Tensor, a_G_shape: Sequence[int]) -> tf.Tensor:
    """The [n_C, n_C] Gram of a_S, rescaled to the generated image's n_H n_W when it differs."""
    gram = losses.activation_gram(a_S)[0]
    positions_S = a_S.shape[1] * a_S.shape[2]
    positions_G = a_G_shape[1] * a_G_shape[2]
    if positions_S == positions_G:
        return gram
    return gram * (positions_G / positions_S)


def blend_grams(
    grams: Sequence[dict[str, tf.Tensor]], weights: Sequence[float]
) -> dict[str, tf.Tensor]:
    """sum_s w_s G_s per layer, w normalised to sum 1; one style of weight 1 is its own Grams."""
    total = float(sum(weights))
    shares = [(style, weight / total) for style, weight in zip(grams, weights, strict=True)]
    shares = [(style, share) for style, share in shares if share > 0]
    if len(shares) == 1 and shares[0][1] == 1.0:
        return shares[0][0]
    return {name: tf.add_n([share * style[name] for style, share in shares]) for name in grams[0]}


def compute_targets(
    extractor: keras.Model,
    content_image: np.ndarray,
    style_images: Sequence[np.ndarray],
    content_layer: str,
    style_layers: Sequence[tuple[str, float]],
    blend_weights: Sequence[float] | None = None,
    masks: Sequence[np.ndarray] | None = None,
    pooling: str = "avg",
) -> Targets:
    """a_C of the content image and the style targets, as constants.

    Without masks the styles are blended into one target (equal weights unless given); with
    masks ([H, W] at the content's size, one per style) each style is a target in its region.
    """
    # A graph frees each activation once used; an eager functional call holds them all. The
    # Grams are taken inside the graph too, so each style layer's map goes as soon as its Gram
    # is taken (at 4096 px conv1_1 alone is 3 GiB), and the content pass stops at its layer;
    # the content's layer shapes come from tracing alone.
    names = [name for name, _ in style_layers]
    extract = tf.function(lambda image: features_fp32(extractor, image))
    traced = extract.get_concrete_function(tf.TensorSpec(content_image.shape, tf.float32))
    shapes = {name: traced.structured_outputs[name].shape for name in names}
    content = tf.function(lambda image: features_fp32(extractor, image)[content_layer])
    grams_of = tf.function(
        lambda image: {
            name: style_gram(features, shapes[name])
            for name, features in features_fp32(extractor, image).items()
            if name in shapes
        }
    )
    grams = [grams_of(tf.constant(image)) for image in style_images]
    if masks:
        styles = tuple(
            StyleTarget(style, 1.0, regions.layer_masks(mask, names, pooling))
            for style, mask in zip(grams, masks, strict=True)
        )
    else:
        weights = blend_weights if blend_weights is not None else [1.0] * len(grams)
        styles = (StyleTarget(blend_grams(grams, weights)),)
    return Targets(content(tf.constant(content_image)), styles)

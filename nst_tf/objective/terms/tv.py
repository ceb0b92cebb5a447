"""Total variation: a smoothness prior on the generated image's pixels (`--tv_weight`).

tv(x) = 1/2 sum_c sum_{i < H-1, j < W-1} (x[i, j+1] - x[i, j])^2 + (x[i+1, j] - x[i, j])^2,

on the mean-subtracted 0..255 image the optimizer holds. It is the energy whose gradient
jcjohnson/neural-style's TVLoss applies (neural_style.lua, `TVLoss:updateGradInput`: x_diff and
y_diff over [1, H-1] x [1, W-1], the gradient `strength * (x_diff + y_diff)` minus the shifted
copies), so a `--tv_weight` means what their `-tv_weight` means (their pixels are x256 where
ours are x255: the same weight smooths 0.8% less here). Off in the paper (weight 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tensorflow as tf

from nst_tf.objective.features import TargetFeatures
from nst_tf.objective.terms.base import TermImages


def total_variation(image: tf.Tensor) -> tf.Tensor:
    """The module doc's tv of each image of [N, H, W, C], as [N]."""
    corner = image[:, :-1, :-1, :]
    x_diff = image[:, :-1, 1:, :] - corner
    y_diff = image[:, 1:, :-1, :] - corner
    return 0.5 * tf.reduce_sum(tf.square(x_diff) + tf.square(y_diff), axis=(1, 2, 3))


class TotalVariationTerm:
    name = "tv"
    layers: tuple[str, ...] = ()
    batchable = True

    def __init__(self, weight: float):
        self.weight = weight

    def prepare(self, features: TargetFeatures, images: TermImages) -> dict[str, tf.Tensor]:
        return {}  # a prior on the image alone

    def cost(
        self, features: Mapping[str, tf.Tensor], image: tf.Tensor, targets: Mapping[str, Any]
    ) -> dict[str, tf.Tensor]:
        return {self.name: total_variation(image)}


def from_config(config: Any) -> TotalVariationTerm:
    return TotalVariationTerm(config.tv_weight)

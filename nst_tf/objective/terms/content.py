"""The content term: eq. 1 at one or more layers, each with a weight.

`--content_layer=conv4_2` is the paper's (one layer, weight 1: the paper's value bit for bit);
`conv4_2:1,conv5_2:0.5` sums weighted layers and adds a `content/<layer>` part per layer.
`--content_normalization` picks the paper's eq. 1 (sum / (4 n_H n_W n_C)), Gatys et al.
2016's (sum / 2), which their alpha/beta ratio assumes, or the mean (sum / (n_H n_W n_C)),
Torch's MSE that Li & Wand's content weight assumes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import tensorflow as tf

from nst_tf.objective import losses
from nst_tf.objective.features import TargetFeatures
from nst_tf.objective.terms import CONTENT_NORMALIZATIONS
from nst_tf.objective.terms.base import TermImages

NORMALIZATIONS = dict(
    zip(
        CONTENT_NORMALIZATIONS,
        (losses.compute_content_cost, losses.content_cost_gatys2016, losses.content_cost_mean),
        strict=True,
    )
)


class ContentTerm:
    """alpha x sum_l w_l J_content(a_C^[l], a_G^[l])."""

    name = "content"
    batchable = True

    def __init__(
        self, layers: Sequence[tuple[str, float]], weight: float, normalization: str = "paper"
    ):
        self.weighted_layers = tuple(layers)
        self.layers = tuple(name for name, _ in self.weighted_layers)
        self.weight = weight
        self._cost = NORMALIZATIONS[normalization]

    def prepare(self, features: TargetFeatures, images: TermImages) -> dict[str, tf.Tensor]:
        """a_C at each content layer: [1, n_H, n_W, n_C]."""
        return features(images.content, self.layers)

    def cost(
        self, features: Mapping[str, tf.Tensor], image: tf.Tensor, targets: Mapping[str, Any]
    ) -> dict[str, tf.Tensor]:
        parts = {
            name: weight * self._cost(targets[name], features[name])
            for name, weight in self.weighted_layers
        }
        if len(parts) == 1:
            return {self.name: next(iter(parts.values()))}
        value = tf.add_n(list(parts.values()))
        return {self.name: value, **{f"{self.name}/{name}": part for name, part in parts.items()}}


def from_config(config: Any) -> ContentTerm:
    return ContentTerm(config.content_layer, config.alpha, config.content_normalization)

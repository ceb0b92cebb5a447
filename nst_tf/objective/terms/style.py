"""The style term: eqs. 2-3 against Gram targets, with blends, regions and size rescaling.

Targets are Grams [1, n_C, n_C] per style layer, computed once. A blend of several styles is
one set of Grams, their weighted sum (one style of weight 1 is its own Grams, bit for bit).
Styles confined to regions (--style_masks) are one set each, with the mask carried to every
layer (nst_tf.objective.regions); each region's cost is taken inside its mask.

A style image of another size than the generated image has another n_H n_W at every layer,
and its Gram sums over that many positions; eq. 2 divides by the generated image's
(n_H n_W)^2, so the style's Gram is scaled by (n_H n_W)_G / (n_H n_W)_S to compare like with
like. At equal sizes nothing is multiplied, so the paper's targets are bit for bit the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import tensorflow as tf

from nst_tf.model import vgg
from nst_tf.objective import losses, regions
from nst_tf.objective.features import TargetFeatures
from nst_tf.objective.terms.base import TermImages

Grams = dict[str, tf.Tensor]


def rescaled(gram: tf.Tensor, style_size: tuple[int, int], generated_size: tuple[int, int]):
    """A style Gram taken over style_size positions, as if taken over generated_size's."""
    positions_S = style_size[0] * style_size[1]
    positions_G = generated_size[0] * generated_size[1]
    return gram if positions_S == positions_G else gram * (positions_G / positions_S)


def blend_grams(grams: Sequence[Grams], weights: Sequence[float]) -> Grams:
    """sum_s w_s G_s per layer, w normalised to sum 1; one style of weight 1 is its own Grams."""
    total = float(sum(weights))
    shares = [(style, weight / total) for style, weight in zip(grams, weights, strict=True)]
    shares = [(style, share) for style, share in shares if share > 0]
    if len(shares) == 1 and shares[0][1] == 1.0:
        return shares[0][0]
    return {name: tf.add_n([share * style[name] for style, share in shares]) for name in grams[0]}


class StyleTerm:
    """beta x sum_s sum_l lambda_l J_style^[l](s): eq. 3 over each style target."""

    name = "style"
    batchable = True

    def __init__(
        self,
        layers: Sequence[tuple[str, float]],
        weight: float,
        blend_weights: Sequence[float] | None = None,
        pooling: str = "avg",
    ):
        self.weighted_layers = tuple(layers)
        self.layers = tuple(name for name, _ in self.weighted_layers)
        self.weight = weight
        self.blend_weights = blend_weights
        self.pooling = pooling

    def prepare(self, features: TargetFeatures, images: TermImages) -> dict[str, Any]:
        """{"grams": (one {layer: [1, C, C]} per target), "masks": (one {layer: mask} each)}.

        Without masks the styles blend into one target; with masks each style is a target.
        """
        height, width = images.content.shape[1:3]
        grams = []
        for style in images.styles:
            raw = features(style, self.layers, losses.activation_gram)
            grams.append(
                {
                    name: rescaled(
                        gram,
                        vgg.feature_size(*style.shape[1:3], name),
                        vgg.feature_size(height, width, name),
                    )
                    for name, gram in raw.items()
                }
            )
        if images.masks:
            masks = tuple(
                regions.layer_masks(mask, self.layers, self.pooling) for mask in images.masks
            )
            return {"grams": tuple(grams), "masks": masks}
        weights = self.blend_weights if self.blend_weights is not None else [1.0] * len(grams)
        return {"grams": (blend_grams(grams, weights),)}

    def cost(
        self, features: Mapping[str, tf.Tensor], image: tf.Tensor, targets: Mapping[str, Any]
    ) -> dict[str, tf.Tensor]:
        masks = targets.get("masks")
        per_layer = {}
        for name, coeff in self.weighted_layers:
            costs = []
            for index, grams in enumerate(targets["grams"]):
                if masks is None:
                    cost = losses.layer_style_cost_from_gram(grams[name], features[name])
                else:
                    cost = regions.layer_style_cost_in_region(
                        grams[name], features[name], masks[index][name]
                    )
                costs.append(coeff * cost)
            per_layer[f"{self.name}/{name}"] = tf.add_n(costs)
        return {self.name: tf.add_n(list(per_layer.values())), **per_layer}


def from_config(config: Any) -> StyleTerm:
    return StyleTerm(config.style_layers, config.beta, config.style_blend_weights, config.pooling)

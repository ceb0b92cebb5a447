"""The style term: eqs. 2-3 against Gram targets, with blends, regions and size rescaling.

Targets are Grams [1, n_C, n_C] per style layer, computed once. A blend of several styles is
one set of Grams, their weighted sum (one style of weight 1 is its own Grams, bit for bit).
Styles confined to regions (--style_masks) are one set each, with the mask carried to every
layer (nst_tf.objective.regions); each region's cost is taken inside its mask.

A style image of another size than the generated image has another n_H n_W at every layer,
and its Gram sums over that many positions; eq. 2 divides by the generated image's
(n_H n_W)^2, so the style's Gram is scaled by (n_H n_W)_G / (n_H n_W)_S to compare like with
like. At equal sizes nothing is multiplied, so the paper's targets are bit for bit the same.

With --content_segmentation and --style_segmentation (Luan et al. 2017's augmented style loss)
the targets are one Gram per class of the style image, each taken inside that class's mask,
and the cost compares each with the generated image's Gram inside the content's mask of that
class (nst_tf.objective.regions.class_style_cost). Without them nothing here changes.
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

    def __init__(
        self,
        layers: Sequence[tuple[str, float]],
        weight: float,
        blend_weights: Sequence[float] | None = None,
        pooling: str = "avg",
        segmented: bool = False,
    ):
        self.weighted_layers = tuple(layers)
        self.layers = tuple(name for name, _ in self.weighted_layers)
        self.weight = weight
        self.blend_weights = blend_weights
        self.pooling = pooling
        # Per-class targets belong to one pair's segmentations: such jobs run one at a time.
        self.batchable = not segmented

    def prepare(self, features: TargetFeatures, images: TermImages) -> dict[str, Any]:
        """{"grams": (one {layer: [1, C, C]} per target), "masks": (one {layer: mask} each)}.

        Without masks the styles blend into one target; with masks each style is a target.
        With segmentations: {"class_grams": {layer: [1, K, C, C]}, "class_masks": {layer:
        [1, n_H, n_W, K]}}, the style's per-class Grams and the content's masks.
        """
        if images.segments is not None:
            return self._prepare_classes(features, images)
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

    def _prepare_classes(self, features: TargetFeatures, images: TermImages) -> dict[str, Any]:
        (style,) = images.styles  # the config allows segmentations with one style only
        raw = features(style, self.layers)
        style_masks = regions.class_layer_masks(images.segments.style, self.layers)
        return {
            "class_grams": {
                name: regions.class_grams(raw[name], style_masks[name]) for name in self.layers
            },
            "class_masks": regions.class_layer_masks(images.segments.content, self.layers),
        }

    def cost(
        self, features: Mapping[str, tf.Tensor], image: tf.Tensor, targets: Mapping[str, Any]
    ) -> dict[str, tf.Tensor]:
        if "class_grams" in targets:
            per_layer = {
                f"{self.name}/{name}": coeff
                * regions.class_style_cost(
                    targets["class_grams"][name], features[name], targets["class_masks"][name]
                )
                for name, coeff in self.weighted_layers
            }
            return {self.name: tf.add_n(list(per_layer.values())), **per_layer}
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
    return StyleTerm(
        config.style_layers,
        config.beta,
        config.style_blend_weights,
        config.pooling,
        segmented=bool(config.content_segmentation),
    )

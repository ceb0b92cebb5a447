"""The objective: a generated image [N, H, W, 3] -> (J, named cost terms), nothing else.

Optimizers see only this function of the image. The terms are an ordered dict of per-image
[N] vectors: the paper's `total`, `content` and `style` first, then each style layer's share of
eq. 3 (`style/conv1_1`, ..., already weighted by lambda, so they add up to `style`). Trace
columns, log lines and TensorBoard tags come from these keys, so a new term needs no new
format. J is the sum of `total` over the batch: each image's gradient is its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from nst_tf.objective import losses, regions
from nst_tf.objective.targets import StyleTarget, Targets, features_fp32

Terms = dict[str, tf.Tensor]


class Objective:
    """Eq. 4 over the targets: alpha J_content + beta sum_s w_s sum_l lambda_l J_style^[l]."""

    def __init__(
        self,
        extractor: keras.Model,
        targets: Targets,
        content_layer: str,
        style_layers: Sequence[tuple[str, float]],
        alpha: float,
        beta: float,
        content_normalization: str = "paper",
    ):
        self.extractor = extractor
        self.targets = targets
        self.content_layer = content_layer
        self.style_layers = tuple(style_layers)
        self.alpha = alpha
        self.beta = beta
        self._content_cost = losses.CONTENT_COSTS[content_normalization]

    @property
    def term_names(self) -> list[str]:
        return ["total", "content", "style", *(f"style/{name}" for name, _ in self.style_layers)]

    def __call__(self, image: tf.Tensor) -> tuple[tf.Tensor, Terms]:
        generated = features_fp32(self.extractor, image)
        J_content = self._content_cost(self.targets.content, generated[self.content_layer])
        per_layer = {}
        for name, coeff in self.style_layers:
            per_layer[f"style/{name}"] = tf.add_n(
                [
                    style.weight * coeff * _layer_style_cost(style, name, generated[name])
                    for style in self.targets.styles
                ]
            )  # fmt: skip
        J_style = tf.add_n(list(per_layer.values()))
        J_total = losses.total_cost(J_content, J_style, self.alpha, self.beta)
        terms = {"total": J_total, "content": J_content, "style": J_style, **per_layer}
        return tf.reduce_sum(J_total), terms


def _layer_style_cost(style: StyleTarget, name: str, a_G: tf.Tensor) -> tf.Tensor:
    """Eq. 2 against one style target: over the whole image, or inside its region."""
    if style.masks is None:
        return losses.layer_style_cost_from_gram(style.grams[name], a_G)
    return regions.layer_style_cost_in_region(style.grams[name], a_G, style.masks[name])

"""The training loss: the engine's cost terms, with targets from each batch and each style.

The network is trained on the objective nst-tf optimises (nst_tf.objective: the same terms,
weights and VGG), per batch element: its stylized photo against the photo's own content
targets and the style targets of the slot it was given. Targets stay arguments of the
objective, as everywhere in the engine; only where they come from changes:

- style targets (the `style` term's Grams) are prepared once per style, before training, by the
  term's own `prepare` at the training crop's size (so its Gram rescaling applies to a style of
  another size), stacked along a slot axis and gathered per element by its slot;
- every other term's targets (the content features) come from the batch's photos, prepared by
  the term's own `prepare` inside the step: one VGG pass over the photos, no gradient.

The identity slot (nst_tf.network.style_maps) has no style: its style term is weighted 0 per
image (Objective's image_weights), so it learns to reproduce the photo from the content loss
(and tv, a prior on any output) alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from nst_tf.model import vgg
from nst_tf.network.style_maps import IDENTITY
from nst_tf.objective.features import TargetFeatures
from nst_tf.objective.objective import Objective, Targets, Terms
from nst_tf.objective.terms.base import Term, TermImages
from nst_tf.objective.terms.content import ContentTerm
from nst_tf.objective.terms.style import StyleTerm
from nst_tf.objective.terms.tv import TotalVariationTerm
from nst_tf.training.config import NetworkConfig

STYLE_TERMS = ("style",)  # terms whose targets come from the style image


def training_terms(config: NetworkConfig) -> list[Term]:
    """The loss's terms, `config.terms` then tv when --tv_weight > 0, built as nst-tf builds
    them (the same classes and settings) from nst-tf-train's own settings."""
    build = {
        "content": lambda: ContentTerm(
            config.content_layer, config.alpha, config.content_normalization
        ),
        "style": lambda: StyleTerm(config.style_layers, config.beta, pooling=config.pooling),
        "tv": lambda: TotalVariationTerm(config.tv_weight),
    }
    names = [*config.terms, *(["tv"] if config.tv_weight > 0 else [])]
    return [build[name]() for name in dict.fromkeys(names)]


def training_objective(config: NetworkConfig, weights: vgg.VggWeights, precision: str) -> Objective:
    """The terms over a VGG extractor built only as deep as they read."""
    terms = training_terms(config)
    layers = list(dict.fromkeys(name for term in terms for name in term.layers))
    return Objective(vgg.build_feature_extractor(weights, layers, config.pooling, precision), terms)


def style_table(
    objective: Objective, styles: Sequence[np.ndarray], crop_size: int, first_slot: int = 1
) -> Targets:
    """The style terms' targets for every slot of the network, stacked along a slot axis.

    `styles` are normalized [1, h, w, 3] and take slots first_slot, first_slot + 1, ...; the
    slots before them (the identity, and a fine-tuned network's earlier styles, which are never
    sampled) get zeros of the same shapes: the identity's style cost is weighted 0.
    """
    features = TargetFeatures(objective.extractor)
    crop = np.zeros([1, crop_size, crop_size, 3], np.float32)
    per_slot = []
    for style in styles:
        images = TermImages(crop, (style,))
        per_slot.append(
            {t.name: t.prepare(features, images) for t in objective.terms if t.name in STYLE_TERMS}
        )
    unused = tf.nest.map_structure(tf.zeros_like, per_slot[0])
    slots = [unused] * first_slot + per_slot  # slot IDENTITY = 0 first
    return tf.nest.map_structure(lambda *parts: tf.concat(parts, axis=0), *slots)


class TrainingLoss:
    """(stylized, photos, slots) -> (sum over the batch of each image's loss, summed terms).

    Images are 0..255 [B, S, S, 3]; slots [B] int32. Every term is reported as the loss has
    it: per image, times its image weight, summed over the batch (divide by the batch size for
    means).
    """

    def __init__(self, objective: Objective, styles: Targets, means: Sequence[float]):
        self.objective = objective
        self.styles = styles
        self.means = tf.constant(means, tf.float32)
        self._features = TargetFeatures(objective.extractor)

    def __call__(
        self, stylized: tf.Tensor, photos: tf.Tensor, slots: tf.Tensor
    ) -> tuple[tf.Tensor, Terms]:
        images = TermImages(photos - self.means, ())
        targets = {}
        for term in self.objective.terms:
            if term.name in STYLE_TERMS:
                table = self.styles[term.name]
                targets[term.name] = tf.nest.map_structure(lambda t: tf.gather(t, slots), table)
            else:
                prepared = term.prepare(self._features, images)
                targets[term.name] = tf.nest.map_structure(tf.stop_gradient, prepared)
        has_style = tf.cast(tf.not_equal(slots, IDENTITY), tf.float32)
        weights = {name: has_style for name in STYLE_TERMS}
        total, terms = self.objective(stylized - self.means, targets, weights)
        reported = {
            name: tf.reduce_sum(value * has_style if _style_part(name) else value)
            for name, value in terms.items()
        }
        return total, reported


def _style_part(name: str) -> bool:
    """`style` and its parts (`style/conv1_1`, ...)."""
    return name.split("/")[0] in STYLE_TERMS

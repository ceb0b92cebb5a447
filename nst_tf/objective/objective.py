"""The objective: a generated image [N, H, W, 3] and its targets -> (J, named cost terms).

Optimizers see only this function. It runs VGG once over the image, hands every term the
features it reads, weights each term's value and sums them: for the paper's two terms that is
eq. 4, J = alpha J_content + beta J_style. The named terms are an ordered dict of per-image [N]
vectors: `total` first, then each term's value under its name and its parts (`style/conv1_1`,
..., already weighted by lambda, so they add up to `style`). Trace columns, log lines and
TensorBoard tags come from these keys, so a new term needs no new format. J is the sum of
`total` over the batch: each image's gradient is its own.

Targets are computed once by `prepare` (outside the step) and passed back in at every call, so
the compiled step takes them as arguments and one trace serves many jobs (terms/base.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import tensorflow as tf

from nst_tf.objective.features import TargetFeatures, features_fp32
from nst_tf.objective.terms.base import Term, TermImages

Terms = dict[str, tf.Tensor]
Targets = dict[str, Mapping[str, object]]  # term name -> that term's targets


class Objective:
    """sum_t weight_t x term_t(image) over `terms`, in their order."""

    def __init__(self, extractor: keras.Model, terms: Sequence[Term]):
        self.extractor = extractor
        self.terms = tuple(terms)
        self._target_features = TargetFeatures(extractor)

    @property
    def layers(self) -> list[str]:
        """Every VGG layer a term reads, in first-named order."""
        return list(dict.fromkeys(name for term in self.terms for name in term.layers))

    @property
    def batchable(self) -> bool:
        """Whether jobs' targets stack into one batch (every term's do)."""
        return all(term.batchable for term in self.terms)

    def prepare(self, images: TermImages) -> Targets:
        """Every term's targets for one job, computed once (leading job axis of 1)."""
        return {term.name: term.prepare(self._target_features, images) for term in self.terms}

    def __call__(self, image: tf.Tensor, targets: Targets) -> tuple[tf.Tensor, Terms]:
        features = features_fp32(self.extractor, image) if self.layers else {}
        named: Terms = {}
        total = None
        for term in self.terms:
            values = term.cost(features, image, targets[term.name])
            weighted = term.weight * values[term.name]
            total = weighted if total is None else total + weighted
            named.update(values)
        return tf.reduce_sum(total), {"total": total, **named}


def stack_targets(targets: Sequence[Targets]) -> Targets:
    """Several jobs' targets as one batch: every tensor concatenated along its job axis."""
    return tf.nest.map_structure(lambda *parts: tf.concat(parts, axis=0), *targets)

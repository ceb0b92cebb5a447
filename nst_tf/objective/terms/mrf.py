"""The MRF term of Li & Wand, "Combining Markov Random Fields and Convolutional Neural Networks
for Image Synthesis" (CVPR 2016), as their released code computes it (chuanli11/CNNMRF).

At each layer l of --mrf_layers (theirs: relu3_1 and relu4_1, our conv3_1 and conv4_1, whose
outputs are the ReLU's), the generated image's features are cut into 3x3 patches p_i on a
stride-2 grid with a tail (nst_tf.objective.patches), each is matched to the style patch
s_NN(i) of highest normalised cross-correlation, and

    E_l = 1/2 sum_i sum_q (p_i[q] - s_NN(i)[q])^2 / n_q,

q running over the patch's positions and n_q counting the patches that cover q. That is the
energy whose gradient their code applies: it adds s_NN(i) - p_i over the patches, divides each
position by its count, and multiplies by -weight (`mylib/mrf.lua` L215-240); the paper's eq. 2
is the plain sum of squares, without the 1/2 and the counts, for which their weight 1e-4 was
not tuned. The term is sum_l lambda_l E_l, each E_l also named `mrf/<layer>`.

The match is part of the energy: it is recomputed from the current features at every
evaluation, inside the step (their code redoes it at every backward pass), and the gradient
flows through the generated patches only (the choice is piecewise constant). Style patches are
targets, taken once per job from the style image and its rotated and scaled copies
(nst_tf.images.augment), on a grid of --mrf_style_stride. Their count differs per style, so the
targets of several jobs do not stack: not batchable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf.errors import UserError
from nst_tf.images.augment import style_copies
from nst_tf.model import vgg
from nst_tf.objective.features import TargetFeatures, features_fp32
from nst_tf.objective.patches import PATCH, PatchGrid, chunk_table, nearest
from nst_tf.objective.terms.base import TermImages

# Scores alive at once while matching: one chunk of style patches against every generated
# patch, 2^24 float32 = 64 MiB (docs/performance.md, "MRF term").
SCORE_BUDGET = 2**24


class MrfTerm:
    """weight x sum_l lambda_l E_l (module doc)."""

    name = "mrf"
    batchable = False

    def __init__(
        self,
        layers: Sequence[tuple[str, float]],
        weight: float,
        stride: int = 2,
        style_stride: int = 2,
        rotations: int = 0,
        scales: int = 0,
        score_budget: int = SCORE_BUDGET,
    ):
        self.weighted_layers = tuple(layers)
        self.layers = tuple(name for name, _ in self.weighted_layers)
        self.weight = weight
        self.stride = stride
        self.style_stride = style_stride
        self.rotations = rotations
        self.scales = scales
        self.score_budget = score_budget

    def prepare(self, features: TargetFeatures, images: TermImages) -> dict[str, Any]:
        """{layer: {"table": [1, chunks, chunk, 9 C], "inverse_norms": [1, chunks, chunk]}}.

        Every style image's copies give patches; several --style images pool theirs.
        """
        if images.masks:
            raise UserError("--style_masks cannot be used with the mrf term: give no masks")
        height, width = images.content.shape[1:3]
        generated = {}
        for name in self.layers:
            map_height, map_width = vgg.feature_size(height, width, name)
            if min(map_height, map_width) < PATCH:
                raise UserError(
                    f"--mrf_layers {name} is {map_width}x{map_height} for a {width}x{height} "
                    f"image, too small for {PATCH}x{PATCH} patches: use a larger size"
                )
            generated[name] = PatchGrid.of(map_height, map_width, self.stride).count
        patches: dict[str, list[tf.Tensor]] = {name: [] for name in self.layers}
        for style in images.styles:
            for copy in style_copies(style, self.rotations, self.scales):
                # Eagerly: each copy has a shape of its own, and a traced function retraced
                # for shape after shape makes TensorFlow warn (TargetFeatures traces per shape).
                values = features_fp32(features.extractor, tf.constant(copy))
                for name in self.layers:
                    _, map_height, map_width, _ = values[name].shape
                    if min(map_height, map_width) < PATCH:
                        logging.info(
                            "mrf: a %dx%d style copy has no %dx%d patches at %s; skipped",
                            copy.shape[2], copy.shape[1], PATCH, PATCH, name,
                        )  # fmt: skip
                        continue
                    grid = PatchGrid.of(map_height, map_width, self.style_stride)
                    patches[name].append(grid.extract(values[name])[0])
        targets = {}
        for name in self.layers:
            if not patches[name]:
                raise UserError(
                    f"the style image is too small for {PATCH}x{PATCH} patches at --mrf_layers "
                    f"{name}: use a larger style or size"
                )
            table = tf.concat(patches.pop(name), axis=0)
            chunk = max(1, min(table.shape[0], self.score_budget // generated[name]))
            chunks, inverse_norms = chunk_table(table, chunk)
            del table  # the chunks are a copy; at 800x600 conv3_1's table is 0.5 GiB
            targets[name] = {
                "table": chunks[tf.newaxis],
                "inverse_norms": inverse_norms[tf.newaxis],
            }
        return targets

    def cost(
        self, features: Mapping[str, tf.Tensor], image: tf.Tensor, targets: Mapping[str, Any]
    ) -> dict[str, tf.Tensor]:
        """{"mrf": [N], "mrf/<layer>": lambda_l E_l [N]} against one job's style patches."""
        per_layer = {
            f"{self.name}/{name}": coeff
            * layer_energy(features[name], *_one_job(targets[name]), self.stride)
            for name, coeff in self.weighted_layers
        }
        return {self.name: tf.add_n(list(per_layer.values())), **per_layer}


def layer_energy(
    features: tf.Tensor, table: tf.Tensor, inverse_norms: tf.Tensor, stride: int
) -> tf.Tensor:
    """E_l of each image of [N, h, w, C] against a chunked style-patch table, as [N]."""
    n, height, width, channels = features.shape
    grid = PatchGrid.of(height, width, stride)
    patches = grid.extract(features)
    matches = nearest(patches, table, inverse_norms)
    weights = grid.inverse_coverage(height, width)[:, :, np.newaxis]  # 1 / n_q
    difference = tf.reshape(patches - matches, [n, grid.count, PATCH * PATCH, channels])
    squares = tf.square(difference) * tf.constant(weights, tf.float32)
    return 0.5 * tf.reduce_sum(squares, axis=(1, 2, 3))


def _one_job(targets: Mapping[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
    """(table, inverse norms) of the one job a non-batchable term's targets hold (axis 0)."""
    return targets["table"][0], targets["inverse_norms"][0]


def from_config(config: Any) -> MrfTerm:
    return MrfTerm(
        config.mrf_layers,
        config.mrf_weight,
        config.mrf_stride,
        config.mrf_style_stride,
        config.mrf_rotations,
        config.mrf_scales,
    )

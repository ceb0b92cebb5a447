"""Luan et al.'s photorealism regulariser (`--photorealism_weight`, their lambda).

    photorealism = sum over colour channels c of V_c^T L V_c,

with L the matting Laplacian of the content image (nst_tf.objective.photorealism) and V_c the
output's channel c as a [H W] vector in [0, 1]: small when the output is, window by window, an
affine function of the content's colours, so edges and textures stay the photograph's.

V is the pixel value over the full scale: their code passes (x + mean) / 256 to its CUDA kernel
(deepmatting_seg.lua L247, L289), which is the image in [0, 1] because their network image x is
256 x pixel - mean (`preprocess`, L332); ours is 255 x pixel - mean, so V = (x + mean) / 255
here, the same V. The Laplacian is built on the content read as 0..255 over 255, as their
Matlab reads it (`im2double`, gen_laplacian.m L10). Its gradient is 2 L V_c per channel, what
their kernel adds (`2*val * input`, cuda_utils.cu L93-95); their reported loss leaves the term
out, this one includes it so that cost and gradient agree under a line search.

L is built once per job outside the step and passed in as a tf.SparseTensor (about 25 entries
a pixel); the step multiplies with tf.sparse.sparse_dense_matmul, which runs on CPUs, GPUs and
TPUs. One content's Laplacian does not stack with another's, so the term is not batchable.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf.objective import photorealism
from nst_tf.objective.features import TargetFeatures
from nst_tf.objective.terms.base import TermImages

EPS = 1e-7  # deepmatting_seg.lua L35 and gen_laplacian.m L20
RADIUS = 1  # 3x3 windows: -patch 3 (L34), getLaplacian1(..., 1)


def laplacian_energy(laplacian: tf.SparseTensor, colours: tf.Tensor) -> tf.Tensor:
    """sum_c V_c^T L V_c of each image of colours [N, H, W, C], as [N]."""
    _, height, width, channels = colours.shape
    columns = tf.reshape(tf.transpose(colours, [1, 2, 0, 3]), [height * width, -1])  # [HW, NC]
    product = tf.sparse.sparse_dense_matmul(laplacian, columns)
    per_channel = tf.reduce_sum(columns * product, axis=0)
    return tf.reduce_sum(tf.reshape(per_channel, [-1, channels]), axis=1)


class PhotorealismTerm:
    name = "photorealism"
    layers: tuple[str, ...] = ()
    batchable = False

    def __init__(self, weight: float, means: Sequence[float]):
        self.weight = weight
        self.means = tf.constant(means, tf.float32)

    def prepare(self, features: TargetFeatures, images: TermImages) -> dict[str, tf.SparseTensor]:
        """{"laplacian": L} of the content at the working size, [H W, H W] sparse."""
        height, width = images.content_pixels.shape[:2]
        started = time.perf_counter()
        matrix = photorealism.matting_laplacian(
            images.content_pixels.astype(np.float64) / 255.0, EPS, RADIUS
        ).tocoo()
        logging.info(
            "Matting Laplacian of the %dx%d content: %d entries in %.2f s",
            width,
            height,
            matrix.nnz,
            time.perf_counter() - started,
        )
        laplacian = tf.SparseTensor(
            np.stack([matrix.row, matrix.col], axis=1).astype(np.int64),
            matrix.data.astype(np.float32),
            matrix.shape,
        )
        return {"laplacian": laplacian}

    def cost(
        self, features: Mapping[str, tf.Tensor], image: tf.Tensor, targets: Mapping[str, Any]
    ) -> dict[str, tf.Tensor]:
        colours = (image + self.means) / 255.0
        return {self.name: laplacian_energy(targets["laplacian"], colours)}


def from_config(config: Any) -> PhotorealismTerm:
    return PhotorealismTerm(config.photorealism_weight, config.means)

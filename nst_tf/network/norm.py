"""Conditional instance normalisation: one network, a gamma and beta row per style.

Dumoulin, Shlens, Kudlur (2017), "A Learned Representation for Artistic Style": every style of
an N-style network shares the convolutions and differs only in the scale gamma and shift beta
that follow each instance normalisation, held as tables [num_slots, C] (magenta's
image_stylization ops.py `conditional_instance_norm`: ones and zeros at the start, moments over
H and W, epsilon 1e-5). What picks the row is a weight vector, so a one-hot vector is exactly
that style's gamma and beta and any other vector is their weighted sum (magenta's
`weighted_instance_norm`: interpolation between styles).

Weights come per image ([B, S]) or per pixel ([B, h, w, S], style weight maps already carried to
the layer's resolution by `style_maps.pyramid`): gamma(x) = sum_s W_s(x) gamma_s, so different
regions of one image take different styles in one pass (the regions of the paper's section 4).
The statistics are always the whole image's: only the affine part is regional.
"""

from __future__ import annotations

import tensorflow as tf

EPSILON = 1e-5  # magenta's


def mix(table: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """Rows of `table` [S, C] weighted by per-image [B, S] -> [B, 1, 1, C], or by per-pixel
    [B, h, w, S] -> [B, h, w, C]."""
    if weights.shape.rank == 2:
        return tf.matmul(weights, table)[:, tf.newaxis, tf.newaxis, :]
    return tf.tensordot(weights, table, axes=1)


def conditional_instance_norm(
    x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, weights: tf.Tensor
) -> tf.Tensor:
    """(x - mean) / sqrt(variance + eps) * gamma(w) + beta(w): each image's channels normalised
    over H, W (float32), with gamma, beta [S, C] mixed by `weights`.

    Computed as x * scale + shift, the normalisation folded into the affine part: two passes
    over the activations instead of four (3-4% of an nst-tf-apply call at 400x300 here,
    docs/network.md "Speed on this machine").
    """
    mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    scale = mix(gamma, weights) * tf.math.rsqrt(variance + EPSILON)
    return x * scale + (mix(beta, weights) - mean * scale)

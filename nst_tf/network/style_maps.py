"""Style weights as the network consumes them: per image, or per pixel at every resolution.

A network of N styles has N + 1 slots: slot 0 is the identity, trained with the content loss
only (it reproduces the photo), slots 1..N are the styles. A caller gives weights over the N
styles; whatever they leave of 1 goes to the identity slot, so weights summing to 1 are pure
style, 0.3 x a style leaves 70% of the way to the photo (`--degree`), and pixels no
`--style_masks` map covers stay the photo, as pixels no mask covers get content only in nst-tf.

Per-pixel maps are carried to each layer's resolution by 2x2 average pools with SAME padding,
the pooling nst-tf carries --style_masks with (nst_tf.objective.regions): the network's stride-2
convolutions (3x3, reflect-padded by 1) give ceil(H/2) x ceil(W/2), exactly the pooled size, and
each pooled weight is the mean of the four pixels under it, so weights summing to 1 still do.
"""

from __future__ import annotations

import tensorflow as tf

IDENTITY = 0  # the slot trained with the content loss only


def with_identity(style_weights: tf.Tensor) -> tf.Tensor:
    """Weights over the styles [..., N] -> over the slots [..., N + 1]: identity = 1 - sum."""
    rest = 1.0 - tf.reduce_sum(style_weights, axis=-1, keepdims=True)
    return tf.concat([rest, style_weights], axis=-1)


def pyramid(maps: tf.Tensor, levels: int) -> list[tf.Tensor]:
    """[B, H, W, S] maps at full, half, quarter ... resolution (`levels` of them)."""
    found = [maps]
    for _ in range(levels - 1):
        found.append(tf.nn.avg_pool2d(found[-1], ksize=2, strides=2, padding="SAME"))
    return found

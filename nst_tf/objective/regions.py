"""Different styles in different regions (Gatys et al. 2017, section 4: spatial control).

Each style has a mask over the generated image. The mask is carried down to every style layer
by the network's own pools (VGG-19's SAME-padded 2x2 average or max pools; the 3x3 SAME convs
keep the size), so at each layer it covers the same receptive fields as the features it
weights. The generated Gram of a region is taken over the masked features and rescaled by
n_H n_W / sum(m^2): a region holding the style's statistics then has the style's whole-image
Gram, whatever its area, and eq. 2's normaliser stays the paper's. Pixels no mask covers feel
no style cost, only the content cost.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import tensorflow as tf

from nst_tf.model import vgg
from nst_tf.objective import losses


def layer_masks(mask: np.ndarray, layers: Iterable[str], pooling: str) -> dict[str, tf.Tensor]:
    """A [H, W] mask at the image's size -> {layer: [1, n_H, n_W, 1] float32} at each layer."""
    wanted = set(layers)
    pool = tf.nn.avg_pool2d if pooling == "avg" else tf.nn.max_pool2d
    current = tf.constant(np.asarray(mask, np.float32)[np.newaxis, :, :, np.newaxis])
    masks = {}
    for name in vgg.VGG19_LAYERS[: max(map(vgg.VGG19_LAYERS.index, wanted)) + 1]:
        if name.startswith("pool"):
            current = pool(current, ksize=2, strides=2, padding="SAME")
        elif name in wanted:
            masks[name] = current
    return masks


def masked_gram(a: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """The Gram of the features a * mask, scaled to a whole image's: x n_H n_W / sum(mask^2).

    Per image: a batch of jobs brings one mask per image ([N, n_H, n_W, 1]).
    """
    _, n_H, n_W, _ = a.shape.as_list()
    energy = tf.reduce_sum(tf.square(mask), axis=(1, 2, 3))[:, tf.newaxis, tf.newaxis]
    return losses.activation_gram(a * mask) * (n_H * n_W / energy)


def layer_style_cost_in_region(GS: tf.Tensor, a_G: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """Eq. 2 with the generated Gram taken inside the region, per image."""
    GG = masked_gram(a_G, mask)
    return tf.reduce_sum(tf.square(GS - GG), axis=(1, 2)) / losses.style_normalizer(a_G)

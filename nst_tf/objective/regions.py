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


# Luan et al.'s augmented style loss (Deep Photo Style Transfer, CVPR 2017): one Gram per class
# of a colour-coded segmentation (nst_tf.images.segmentation), the generated image's classes
# from the content's segmentation, the targets' from the style's.


def class_layer_masks(masks: np.ndarray, layers: Iterable[str]) -> dict[str, tf.Tensor]:
    """[K, H, W] class masks -> {layer: [1, n_H, n_W, K] float32}, carried as Luan et al. do.

    Their code (neuralstyle_seg.lua L113-124) follows every conv with a 3x3 mean of the masks
    (stride 1, zero padding counted) and halves them at every pool (to ceil(h/2) x ceil(w/2),
    bilinearly): a class's mask then fades over the receptive fields its border reaches, and
    stays an average at the pools whatever the network pools with (a max pool would grow every
    class into its neighbours). The halving here is the 2x2 SAME average pool, whose output
    has exactly the features' shape.
    """
    wanted = set(layers)
    current = tf.constant(np.moveaxis(np.asarray(masks, np.float32), 0, -1)[np.newaxis])
    box = tf.ones((3, 3, current.shape[-1], 1)) / 9.0
    carried = {}
    for name in vgg.VGG19_LAYERS[: max(map(vgg.VGG19_LAYERS.index, wanted)) + 1]:
        if name.startswith("pool"):
            current = tf.nn.avg_pool2d(current, ksize=2, strides=2, padding="SAME")
        elif name.startswith("conv"):
            current = tf.nn.depthwise_conv2d(current, box, strides=(1, 1, 1, 1), padding="SAME")
            if name in wanted:
                carried[name] = current
    return carried


def class_grams(a: tf.Tensor, masks: tf.Tensor) -> tf.Tensor:
    """Each class's Gram per masked position: G_k = (M_k a)^T (M_k a) / sum(M_k), [N, K, C, C].

    Luan et al. divide by C H W mean(M_k) = C sum(M_k) (neuralstyle_seg.lua L152-154 for the
    style's, L467-468 for the generated image's): the mask's own sum, not the sum of its
    squares; the C is eq. 2's to apply (see class_style_cost).
    """
    grams = []
    for k in range(masks.shape[-1]):
        mask = masks[..., k : k + 1]
        area = tf.reduce_sum(mask, axis=(1, 2, 3))[:, tf.newaxis, tf.newaxis]
        grams.append(losses.activation_gram(a * mask) / area)
    return tf.stack(grams, axis=1)


def class_style_cost(targets: tf.Tensor, a_G: tf.Tensor, masks: tf.Tensor) -> tf.Tensor:
    """sum_k mean(M_k) sum (G_k - T_k)^2 / (4 n_C^2) per image: eq. 2 per class, weighted.

    Luan et al. weight each class's loss by its content mask's mean (L471-473). With every
    mask 1 it is eq. 2 itself: G and T are the whole images' Grams over n_H n_W positions
    each, and (G - T)^2 / (4 n_C^2) = (GS - GG)^2 / (4 n_C^2 (n_H n_W)^2).
    """
    n_C = a_G.shape[-1]
    shares = tf.reduce_mean(masks, axis=(1, 2))  # [N, K]
    per_class = tf.reduce_sum(tf.square(class_grams(a_G, masks) - targets), axis=(2, 3))
    return tf.reduce_sum(shares * per_class, axis=1) / (4.0 * n_C**2)

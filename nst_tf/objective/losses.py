"""Equations 1-4 of the paper, named as in its code so each maps to its printed counterpart.

Activations are [N, n_H, n_W, n_C] float32 tensors with static shapes; every cost is reduced per
image to an [N] vector, so a batch of independent images shares one graph and the caller sums
the vector for the gradient (each image's gradient stays its own). At N = 1 the numbers are the
paper's. Style targets are Gram matrices computed once from the style image, so the step never
recomputes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tensorflow as tf

_PER_IMAGE = (1, 2, 3)


def _dims(a: tf.Tensor) -> tuple[int, int, int]:
    _, n_H, n_W, n_C = a.shape.as_list()
    return n_H, n_W, n_C


def compute_content_cost(a_C: tf.Tensor, a_G: tf.Tensor) -> tf.Tensor:
    """Eq. 1: sum (a_C - a_G)^2 / (4 n_H n_W n_C), one value per image of a_G."""
    n_H, n_W, n_C = _dims(a_G)
    return tf.reduce_sum(tf.square(a_C - a_G), axis=_PER_IMAGE) / (4.0 * n_H * n_W * n_C)


def content_cost_gatys2016(a_C: tf.Tensor, a_G: tf.Tensor) -> tf.Tensor:
    """Gatys, Ecker, Bethge (CVPR 2016) eq. 1: sum (a_C - a_G)^2 / 2, one value per image of a_G.

    Eq. 1 of the paper divides by 4 n_H n_W n_C instead; Gatys et al.'s alpha/beta ratio only
    means what they meant with their own normalisation (configs/gatys2016.py).
    """
    return 0.5 * tf.reduce_sum(tf.square(a_C - a_G), axis=_PER_IMAGE)


def content_cost_mean(a_C: tf.Tensor, a_G: tf.Tensor) -> tf.Tensor:
    """The mean of (a_C - a_G)^2 over n_H n_W n_C, one value per image of a_G.

    Torch's nn.MSECriterion, the content loss of Li & Wand's released code (CNNMRF
    `mylib/content.lua`), whose content weight assumes it (configs/li_wand2016.py).
    """
    n_H, n_W, n_C = _dims(a_G)
    return tf.reduce_sum(tf.square(a_C - a_G), axis=_PER_IMAGE) / (n_H * n_W * n_C)


# --content_normalization: which eq. 1 the objective uses.
CONTENT_COSTS = {
    "paper": compute_content_cost,
    "gatys2016": content_cost_gatys2016,
    "mean": content_cost_mean,
}


def unroll(a: tf.Tensor) -> tf.Tensor:
    """[N, n_H, n_W, n_C] -> [N, n_C, n_H * n_W], the paper's unrolled volume (Figure 2)."""
    n_H, n_W, n_C = _dims(a)
    return tf.transpose(tf.reshape(a, [-1, n_H * n_W, n_C]), [0, 2, 1])


def gram_matrix(A: tf.Tensor) -> tf.Tensor:
    """The style matrix GR = A A^T of an unrolled (..., n_C, n_H * n_W) volume."""
    return tf.matmul(A, A, transpose_b=True)


def activation_gram(a: tf.Tensor) -> tf.Tensor:
    """gram_matrix(unroll(a)) as [N, n_C, n_C], computed as X^T X on the [N, n_H n_W, n_C] view.

    Same numbers, but it skips materialising the transposed activations (and the transpose
    in the backward pass), which matters at conv1_1 where they are the largest tensors.
    """
    n_H, n_W, n_C = _dims(a)
    X = tf.reshape(a, [-1, n_H * n_W, n_C])
    if a.shape[0] is None:
        return tf.matmul(X, X, transpose_a=True)
    # Each image takes the 2-D MatMul kernel, as before the batch axis existed: the batched
    # kernel sums in another order, so the paper's printed trace drifted by 1e-5 and a job
    # batched by nst-tf-batch drifted from its single run (8e-4 after 30 steps at 400x300).
    return tf.stack([tf.matmul(X[i], X[i], transpose_a=True) for i in range(a.shape[0])])


def style_normalizer(a_G: tf.Tensor) -> float:
    """Eq. 2's 4 n_C^2 (n_H n_W)^2 for the generated image's activations at one layer."""
    n_H, n_W, n_C = _dims(a_G)
    return 4.0 * n_C**2 * (n_H * n_W) ** 2


def layer_style_cost_from_gram(GS: tf.Tensor, a_G: tf.Tensor) -> tf.Tensor:
    """Eq. 2 against a precomputed style Gram GS ([n_C, n_C] or one per image), per image."""
    GG = activation_gram(a_G)
    return tf.reduce_sum(tf.square(GS - GG), axis=(1, 2)) / style_normalizer(a_G)


def compute_layer_style_cost(a_S: tf.Tensor, a_G: tf.Tensor) -> tf.Tensor:
    """Eq. 2: sum (GS - GG)^2 / (4 n_C^2 (n_H n_W)^2) for one layer's activations, per image."""
    return layer_style_cost_from_gram(activation_gram(a_S), a_G)


def compute_style_cost(
    style_grams: Mapping[str, tf.Tensor],
    generated: Mapping[str, tf.Tensor],
    style_layers: Sequence[tuple[str, float]],
) -> tf.Tensor:
    """Eq. 3: sum over layers of lambda_l * J_style^[l], with STYLE_LAYERS = [(name, lambda)]."""
    return tf.add_n(
        [
            coeff * layer_style_cost_from_gram(style_grams[name], generated[name])
            for name, coeff in style_layers
        ]
    )


def total_cost(
    J_content: tf.Tensor, J_style: tf.Tensor, alpha: float = 10.0, beta: float = 40.0
) -> tf.Tensor:
    """Eq. 4: J(G) = alpha J_content + beta J_style."""
    return alpha * J_content + beta * J_style

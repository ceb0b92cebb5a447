"""Equations 1-4 of the paper, named as in its code so each maps to its printed counterpart.

Activations are [1, n_H, n_W, n_C] float32 tensors with static shapes. The style targets are
Gram matrices, computed once from the style image, so the training step never recomputes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tensorflow as tf


def _dims(a: tf.Tensor) -> tuple[int, int, int]:
    _, n_H, n_W, n_C = a.shape.as_list()
    return n_H, n_W, n_C


def compute_content_cost(a_C: tf.Tensor, a_G: tf.Tensor) -> tf.Tensor:
    """Eq. 1: sum (a_C - a_G)^2 / (4 n_H n_W n_C)."""
    n_H, n_W, n_C = _dims(a_G)
    return tf.reduce_sum(tf.square(a_C - a_G)) / (4.0 * n_H * n_W * n_C)


def unroll(a: tf.Tensor) -> tf.Tensor:
    """[1, n_H, n_W, n_C] -> (n_C, n_H * n_W), the paper's unrolled volume (Figure 2)."""
    n_H, n_W, n_C = _dims(a)
    return tf.transpose(tf.reshape(a, [n_H * n_W, n_C]))


def gram_matrix(A: tf.Tensor) -> tf.Tensor:
    """The style matrix GR = A A^T of an unrolled (n_C, n_H * n_W) volume."""
    return tf.matmul(A, A, transpose_b=True)


def activation_gram(a: tf.Tensor) -> tf.Tensor:
    """gram_matrix(unroll(a)), computed as X^T X on the [n_H n_W, n_C] view.

    Same numbers, but it skips materialising the transposed activations (and the transpose
    in the backward pass), which matters at conv1_1 where they are the largest tensors.
    """
    n_H, n_W, n_C = _dims(a)
    X = tf.reshape(a, [n_H * n_W, n_C])
    return tf.matmul(X, X, transpose_a=True)


def layer_style_cost_from_gram(GS: tf.Tensor, a_G: tf.Tensor) -> tf.Tensor:
    """Eq. 2 against a precomputed style Gram GS."""
    n_H, n_W, n_C = _dims(a_G)
    GG = activation_gram(a_G)
    return tf.reduce_sum(tf.square(GS - GG)) / (4.0 * n_C**2 * (n_H * n_W) ** 2)


def compute_layer_style_cost(a_S: tf.Tensor, a_G: tf.Tensor) -> tf.Tensor:
    """Eq. 2: sum (GS - GG)^2 / (4 n_C^2 (n_H n_W)^2) for one layer's activations."""
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

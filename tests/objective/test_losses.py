"""Equations 1-4 against float64 NumPy references and a hand-computed golden value."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst_tf.objective import losses

RTOL = 1e-5


def _random(shape, seed):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def _tf(a):
    return tf.constant(a, dtype=tf.float32)


def _scalar(cost):
    """The one per-image value of a batch of one."""
    values = np.asarray(cost)
    assert values.shape == (1,)
    return float(values[0])


def ref_content_cost(a_C, a_G):
    _, n_H, n_W, n_C = a_G.shape
    diff = a_C.astype(np.float64) - a_G.astype(np.float64)
    return np.sum(diff**2) / (4.0 * n_H * n_W * n_C)


def ref_unroll(a):
    _, n_H, n_W, n_C = a.shape
    return a.astype(np.float64).reshape(n_H * n_W, n_C).T


def ref_gram(a):
    A = ref_unroll(a)
    return A @ A.T


def ref_layer_style_cost(a_S, a_G):
    _, n_H, n_W, n_C = a_G.shape
    return np.sum((ref_gram(a_S) - ref_gram(a_G)) ** 2) / (4.0 * n_C**2 * (n_H * n_W) ** 2)


SHAPES = [(1, 5, 7, 3), (1, 4, 4, 8), (1, 1, 9, 2), (1, 6, 3, 1)]


@pytest.mark.parametrize("shape", SHAPES)
def test_content_cost_matches_reference(shape):
    a_C, a_G = _random(shape, 1), _random(shape, 2)
    got = _scalar(losses.compute_content_cost(_tf(a_C), _tf(a_G)))
    np.testing.assert_allclose(got, ref_content_cost(a_C, a_G), rtol=RTOL)


def test_content_cost_normalization_is_4_nH_nW_nC():
    # All ones against zeros: the sum of squares is nH*nW*nC, so the cost is exactly 1/4.
    a = np.ones((1, 3, 5, 7), np.float32)
    got = _scalar(losses.compute_content_cost(_tf(a), _tf(np.zeros_like(a))))
    assert got == pytest.approx(0.25, rel=1e-7)


@pytest.mark.parametrize("shape", SHAPES)
def test_unroll_is_channels_by_positions(shape):
    a = _random(shape, 3)
    got = losses.unroll(_tf(a)).numpy()[0]
    _, n_H, n_W, n_C = shape
    assert got.shape == (n_C, n_H * n_W)
    np.testing.assert_array_equal(got, ref_unroll(a).astype(np.float32))
    # Row c is channel c read in row-major (h, w) order.
    np.testing.assert_array_equal(got[n_C - 1], a[0, :, :, n_C - 1].reshape(-1))


@pytest.mark.parametrize("shape", SHAPES)
def test_gram_matrix_and_activation_gram_match_reference(shape):
    a = _random(shape, 4)
    ref = ref_gram(a)
    by_unroll = losses.gram_matrix(losses.unroll(_tf(a))).numpy()[0]
    direct = losses.activation_gram(_tf(a)).numpy()[0]
    assert by_unroll.shape == direct.shape == (shape[3], shape[3])
    np.testing.assert_allclose(by_unroll, ref, rtol=RTOL, atol=1e-5)
    np.testing.assert_allclose(direct, ref, rtol=RTOL, atol=1e-5)
    np.testing.assert_allclose(direct, by_unroll, rtol=1e-6, atol=1e-6)


def test_gram_matrix_of_non_square_unrolled_matrix():
    A = _random((3, 11), 5)
    np.testing.assert_allclose(
        losses.gram_matrix(_tf(A)).numpy(), A.astype(np.float64) @ A.T, rtol=RTOL, atol=1e-5
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_layer_style_cost_matches_reference(shape):
    a_S, a_G = _random(shape, 6), _random(shape, 7)
    got = _scalar(losses.compute_layer_style_cost(_tf(a_S), _tf(a_G)))
    np.testing.assert_allclose(got, ref_layer_style_cost(a_S, a_G), rtol=RTOL)
    from_gram = losses.layer_style_cost_from_gram(_tf(ref_gram(a_S)), _tf(a_G))
    np.testing.assert_allclose(_scalar(from_gram), got, rtol=RTOL)


def test_style_cost_uses_generated_shape_not_a_different_normalization():
    # Eq. 2 divides by 4 nC^2 (nH nW)^2: doubling the spatial size at constant activations
    # quadruples the squared Gram difference (Grams double) and the normalization alike.
    a_S, a_G = _random((1, 2, 3, 4), 8), _random((1, 2, 3, 4), 9)
    small = _scalar(losses.compute_layer_style_cost(_tf(a_S), _tf(a_G)))
    big = _scalar(
        losses.compute_layer_style_cost(
            _tf(np.concatenate([a_S, a_S], axis=1)), _tf(np.concatenate([a_G, a_G], axis=1))
        )
    )
    np.testing.assert_allclose(big, small, rtol=RTOL)


def test_style_cost_is_weighted_sum_over_layers():
    shapes = {"conv1_1": (1, 8, 6, 4), "conv2_1": (1, 4, 3, 6), "conv3_1": (1, 2, 2, 8)}
    style_layers = [("conv1_1", 0.5), ("conv2_1", 0.2), ("conv3_1", 0.3)]
    a_S = {name: _random(shape, 10 + i) for i, (name, shape) in enumerate(shapes.items())}
    a_G = {name: _random(shape, 20 + i) for i, (name, shape) in enumerate(shapes.items())}
    grams = {name: losses.activation_gram(_tf(a)) for name, a in a_S.items()}
    generated = {name: _tf(a) for name, a in a_G.items()}
    got = _scalar(losses.compute_style_cost(grams, generated, style_layers))
    ref = sum(w * ref_layer_style_cost(a_S[name], a_G[name]) for name, w in style_layers)
    np.testing.assert_allclose(got, ref, rtol=RTOL)
    # Only listed layers count, and weights are not renormalized.
    only_one = _scalar(losses.compute_style_cost(grams, generated, [("conv2_1", 3.0)]))
    np.testing.assert_allclose(
        only_one, 3.0 * ref_layer_style_cost(a_S["conv2_1"], a_G["conv2_1"]), rtol=RTOL
    )


def test_total_cost_defaults_alpha_10_beta_40():
    assert float(losses.total_cost(tf.constant(1.0), tf.constant(0.0))) == 10.0
    assert float(losses.total_cost(tf.constant(0.0), tf.constant(1.0))) == 40.0
    assert float(losses.total_cost(tf.constant(2.0), tf.constant(3.0), 1.5, 0.5)) == 4.5


def test_hand_computed_golden_values():
    # a_S is one row of two positions with channels (1, 2) and (3, 4): [1, 1, 2, 2].
    a_S = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)
    # a_G puts channel 0 at position 0 and channel 1 at position 1.
    a_G = np.array([[[[1.0, 0.0], [0.0, 1.0]]]], np.float32)
    # Content, Eq. 1: a_S - a_G = (0, 2, 3, 3) -> squares 0 + 4 + 9 + 9 = 22;
    #   / (4 * nH 1 * nW 2 * nC 2 = 16) = 1.375.
    J_content = losses.compute_content_cost(_tf(a_S), _tf(a_G))
    assert _scalar(J_content) == 1.375
    # unroll(a_S) = [[1, 3], [2, 4]]  (rows are channels)
    np.testing.assert_array_equal(losses.unroll(_tf(a_S)).numpy(), [[[1, 3], [2, 4]]])
    # GS = [[1*1 + 3*3, 1*2 + 3*4], [.., 2*2 + 4*4]] = [[10, 14], [14, 20]]; GG = identity.
    np.testing.assert_array_equal(losses.activation_gram(_tf(a_S)).numpy(), [[[10, 14], [14, 20]]])
    np.testing.assert_array_equal(losses.activation_gram(_tf(a_G)).numpy(), [[[1, 0], [0, 1]]])
    # Style, Eq. 2: GS - GG = [[9, 14], [14, 19]] -> 81 + 196 + 196 + 361 = 834;
    #   / (4 * nC^2 4 * (nH nW)^2 4 = 64) = 13.03125.
    J_style = losses.compute_layer_style_cost(_tf(a_S), _tf(a_G))
    assert _scalar(J_style) == 13.03125
    # Eq. 3 with one layer at weight 0.2: 2.60625.
    weighted = losses.compute_style_cost(
        {"conv1_1": losses.activation_gram(_tf(a_S))}, {"conv1_1": _tf(a_G)}, [("conv1_1", 0.2)]
    )
    assert _scalar(weighted) == pytest.approx(2.60625, rel=1e-7)
    # Eq. 4: 10 * 1.375 + 40 * 13.03125 = 13.75 + 521.25 = 535.
    assert _scalar(losses.total_cost(J_content, J_style)) == 535.0


def test_batch_costs_are_each_images_own():
    """[N, ...] activations give N costs, each equal to that image's batch-of-one cost."""
    a_C = _random((1, 4, 5, 3), 30)
    a_S = _random((1, 4, 5, 3), 31)
    a_G = _random((3, 4, 5, 3), 32)
    content = losses.compute_content_cost(_tf(a_C), _tf(a_G)).numpy()
    style = losses.compute_layer_style_cost(_tf(a_S), _tf(a_G)).numpy()
    assert content.shape == style.shape == (3,)
    for n in range(3):
        one = _tf(a_G[n : n + 1])
        np.testing.assert_allclose(
            content[n], _scalar(losses.compute_content_cost(_tf(a_C), one)), rtol=1e-6
        )
        np.testing.assert_allclose(
            style[n], _scalar(losses.compute_layer_style_cost(_tf(a_S), one)), rtol=1e-6
        )


def test_gatys2016_content_cost_is_half_the_sum_of_squares():
    rng = np.random.RandomState(3)
    a_C, a_G = (rng.randn(2, 3, 4, 5).astype(np.float32) for _ in range(2))
    got = losses.content_cost_gatys2016(tf.constant(a_C), tf.constant(a_G)).numpy()
    expected = 0.5 * ((a_C - a_G) ** 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    paper = losses.CONTENT_COSTS["paper"](tf.constant(a_C), tf.constant(a_G)).numpy()
    np.testing.assert_allclose(got, paper * 4 * 3 * 4 * 5 / 2, rtol=1e-6)


def test_mean_content_cost_is_torchs_mse():
    # Li & Wand's content loss is nn.MSECriterion: the mean over C H W (float64 reference).
    rng = np.random.RandomState(4)
    a_C, a_G = (rng.randn(2, 3, 4, 5) for _ in range(2))
    got = losses.CONTENT_COSTS["mean"](tf.constant(a_C, tf.float32), tf.constant(a_G, tf.float32))
    np.testing.assert_allclose(got.numpy(), ((a_C - a_G) ** 2).mean(axis=(1, 2, 3)), rtol=1e-5)


def test_batched_grams_are_bit_identical_to_each_images_own():
    """nst-tf-batch promises each job its single run's trace: the Gram may not sum differently."""
    a = _tf(_random((3, 38, 50, 64), 33))
    batched = losses.activation_gram(a).numpy()
    for n in range(3):
        np.testing.assert_array_equal(batched[n], losses.activation_gram(a[n : n + 1])[0].numpy())

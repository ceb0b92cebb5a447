"""Luan et al.'s photorealism term: the matting Laplacian and the energy sum_c V_c^T L V_c.

The Laplacian against a float64 transcription of Levin et al.'s getLaplacian1.m (one window at
a time, as their loop), and its properties; the energy and its gradient 2 L V against NumPy
and finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst_tf.images.io import normalize
from nst_tf.objective.photorealism import matting_laplacian
from nst_tf.objective.terms.base import TermImages
from nst_tf.objective.terms.photorealism import PhotorealismTerm, laplacian_energy
from tests.helpers import PAPER_MEANS, smooth_image


def _levin_reference(image: np.ndarray, eps: float, radius: int) -> np.ndarray:
    """getLaplacian1.m L16-59 transcribed, window by window, dense, pixels row-major."""
    height, width, channels = image.shape
    n = (2 * radius + 1) ** 2
    index = np.arange(height * width).reshape(height, width)
    affinity = np.zeros((height * width, height * width))
    for j in range(radius, width - radius):
        for i in range(radius, height - radius):
            window = index[i - radius : i + radius + 1, j - radius : j + radius + 1].ravel()
            colours = image[i - radius : i + radius + 1, j - radius : j + radius + 1]
            colours = colours.reshape(n, channels)
            mu = colours.mean(axis=0)
            variance = np.linalg.inv(
                colours.T @ colours / n - np.outer(mu, mu) + eps / n * np.eye(channels)
            )
            centred = colours - mu
            affinity[np.ix_(window, window)] += (1 + centred @ variance @ centred.T) / n
    return np.diag(affinity.sum(axis=1)) - affinity


@pytest.mark.parametrize(("height", "width", "eps", "radius"), [(7, 9, 1e-7, 1), (9, 8, 1e-3, 2)])
def test_laplacian_is_levins_formula(height, width, eps, radius):
    image = np.random.RandomState(0).uniform(size=(height, width, 3))
    got = matting_laplacian(image, eps, radius)
    assert got.shape == (height * width, height * width)
    expected = _levin_reference(image, eps, radius)
    np.testing.assert_allclose(got.toarray(), expected, rtol=1e-9, atol=1e-11)


def test_laplacian_of_a_photograph_like_image_is_levins_and_sparse():
    image = smooth_image(12, 10, seed=3).astype(np.float64) / 255.0
    got = matting_laplacian(image)
    np.testing.assert_allclose(
        got.toarray(), _levin_reference(image, 1e-7, 1), rtol=1e-8, atol=1e-9
    )
    assert got.nnz <= 25 * 12 * 10  # a pixel meets the pixels within 2 of it only


def test_laplacian_is_symmetric_positive_semidefinite_with_constants_in_its_null_space():
    image = smooth_image(11, 8, seed=5).astype(np.float64) / 255.0
    dense = matting_laplacian(image).toarray()
    np.testing.assert_allclose(dense, dense.T, atol=1e-10)
    assert np.linalg.eigvalsh(dense).min() > -1e-8 * np.abs(dense).max()
    np.testing.assert_allclose(dense @ np.ones(dense.shape[0]), 0.0, atol=1e-10)
    # A channel that is an affine function of the image's colours costs (almost) nothing.
    affine = image.reshape(-1, 3) @ np.array([0.3, -0.5, 0.9]) + 0.2
    assert affine @ dense @ affine < 1e-5 * (affine @ affine)


def test_laplacian_pixels_are_in_row_major_order():
    # Only the left half varies: rows of L for the flat right half see no colour structure.
    image = np.full((6, 10, 3), 0.5)
    image[:, :5] = np.random.RandomState(1).uniform(size=(6, 5, 3))
    dense = matting_laplacian(image).toarray()
    expected = _levin_reference(image, 1e-7, 1)
    np.testing.assert_allclose(dense, expected, rtol=1e-9, atol=1e-11)
    assert not np.allclose(dense, _levin_reference(image.transpose(1, 0, 2), 1e-7, 1)[:60, :60])


def test_image_smaller_than_a_window_has_a_zero_laplacian():
    assert matting_laplacian(np.zeros((2, 5, 3))).nnz == 0


def _sparse(matrix, dtype) -> tf.SparseTensor:
    coo = matrix.tocoo()
    return tf.SparseTensor(np.stack([coo.row, coo.col], axis=1), coo.data.astype(dtype), coo.shape)


def test_energy_is_the_sum_over_channels_and_its_gradient_is_2_L_V():
    rng = np.random.RandomState(2)
    laplacian = matting_laplacian(rng.uniform(size=(6, 7, 3)), eps=1e-4)
    dense = laplacian.toarray()
    colours = rng.uniform(size=(2, 6, 7, 3))  # two images share the Laplacian
    V = tf.constant(colours)
    with tf.GradientTape() as tape:
        tape.watch(V)
        energy = laplacian_energy(_sparse(laplacian, np.float64), V)
    columns = colours.reshape(2, 42, 3)
    expected = [sum(columns[n, :, c] @ dense @ columns[n, :, c] for c in range(3)) for n in (0, 1)]
    np.testing.assert_allclose(energy, expected, rtol=1e-12)
    gradient = tape.gradient(energy, V).numpy().reshape(2, 42, 3)
    np.testing.assert_allclose(gradient, 2 * np.einsum("ij,njc->nic", dense, columns), rtol=1e-10)
    # Finite differences of the energy, coordinate by coordinate (float64).
    step = 1e-6
    for n, pixel, channel in [(0, 0, 0), (1, 20, 2), (0, 41, 1)]:
        bumped = columns.copy()
        bumped[n, pixel, channel] += step
        value = float(laplacian_energy(_sparse(laplacian, np.float64), bumped.reshape(V.shape))[n])
        np.testing.assert_allclose(
            (value - expected[n]) / step, gradient[n, pixel, channel], rtol=1e-4, atol=1e-6
        )


def test_term_prepares_the_contents_laplacian_and_costs_the_result_in_0_1():
    pixels = smooth_image(9, 7, seed=4)
    term = PhotorealismTerm(1e4, PAPER_MEANS)
    assert term.name == "photorealism" and not term.batchable and term.layers == ()
    targets = term.prepare(None, TermImages(normalize(pixels), (), content_pixels=pixels))
    dense = matting_laplacian(pixels / 255.0).toarray()
    np.testing.assert_allclose(tf.sparse.to_dense(targets["laplacian"]), dense, atol=1e-6)
    generated = normalize(smooth_image(9, 7, seed=8))
    image = tf.constant(generated)
    with tf.GradientTape() as tape:
        tape.watch(image)
        value = term.cost({}, image, targets)["photorealism"]
    V = (generated[0].astype(np.float64) + PAPER_MEANS).reshape(-1, 3) / 255.0
    np.testing.assert_allclose(value, [np.sum(V * (dense @ V))], rtol=1e-4)
    # d/dx of sum_c V_c^T L V_c with V = (x + mean) / 255: 2 L V / 255.
    expected = (2 * dense @ V / 255.0).reshape(generated.shape)
    np.testing.assert_allclose(tape.gradient(value, image), expected, rtol=1e-3, atol=1e-7)
    # The content itself is an affine function of itself: nearly free.
    content_value = term.cost({}, tf.constant(normalize(pixels)), targets)["photorealism"]
    assert float(content_value[0]) < 1e-3 * float(value[0])

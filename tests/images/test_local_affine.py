"""Luan et al.'s post-process against a per-pixel float64 transcription of their CUDA kernels."""

from __future__ import annotations

import numpy as np

from nst_tf.images import local_affine
from tests.helpers import smooth_image


def _kernels_reference(output, guide, radius, edge):
    """cuda_utils.cu best_local_affine_kernel, bilateral_smooth_kernel and
    reconstruction_best_kernel, one pixel at a time (RGB order; theirs is BGR, the same fit)."""
    height, width, _ = guide.shape
    affine = np.zeros((height, width, 3, 4))
    for y in range(height):
        for x in range(width):
            gram = np.diag([1e-3, 1e-3, 1e-3, 0.0])
            cross = np.zeros((3, 4))
            for yy in range(max(0, y - 1), min(height, y + 2)):
                for xx in range(max(0, x - 1), min(width, x + 2)):
                    m = np.append(guide[yy, xx], 1.0)
                    gram += np.outer(m, m)
                    cross += np.outer(output[yy, xx], m)
            affine[y, x] = cross @ np.linalg.inv(gram)
    smoothed = np.zeros_like(affine)
    sigma = radius / 3.0
    for y in range(height):
        for x in range(width):
            total, weights = np.zeros((3, 4)), 0.0
            for yy in range(max(0, y - radius), min(height, y + radius + 1)):
                for xx in range(max(0, x - radius), min(width, x + radius + 1)):
                    difference = np.mean((guide[yy, xx] - guide[y, x]) ** 2)
                    weight = np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * sigma**2))
                    weight *= np.exp(-difference / (2 * edge**2))
                    total += weight * affine[yy, xx]
                    weights += weight
            smoothed[y, x] = total / weights
    colours = np.concatenate([guide, np.ones((height, width, 1))], axis=-1)
    return np.einsum("hwij,hwj->hwi", smoothed, colours)


def test_post_process_is_their_three_kernels():
    content, result = smooth_image(11, 9, seed=1), smooth_image(11, 9, seed=2)
    expected = _kernels_reference(result / 255.0, content / 255.0, radius=3, edge=0.1)
    got = local_affine.smooth_local_affine(result, content, radius=3, edge=0.1)
    assert got.dtype == np.uint8 and got.shape == (9, 11, 3)
    np.testing.assert_allclose(got, np.clip(expected * 255.0, 0, 255), atol=0.51 + 1e-3)


def test_a_window_larger_than_the_image_is_clipped_to_it():
    content, result = smooth_image(5, 4, seed=4), smooth_image(5, 4, seed=5)
    expected = _kernels_reference(result / 255.0, content / 255.0, radius=15, edge=0.01)
    got = local_affine.smooth_local_affine(result, content)
    np.testing.assert_allclose(got, np.clip(expected * 255.0, 0, 255), atol=0.51 + 1e-3)


def test_an_affine_recolouring_of_the_content_is_kept():
    content = smooth_image(16, 12, seed=3)
    matrix = np.array([[0.6, 0.2, 0.0], [0.1, 0.7, 0.1], [0.0, 0.2, 0.5]])
    recoloured = np.clip(content @ matrix.T + 30, 0, 255).astype(np.uint8)
    got = local_affine.smooth_local_affine(recoloured, content, radius=4)
    assert np.abs(got.astype(int) - recoloured).max() <= 3

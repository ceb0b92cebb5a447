"""The paper's noisy start: its formula, its seeds, and its two ends (content, pure noise)."""

from __future__ import annotations

import numpy as np

from nst_tf.images.io import normalize
from nst_tf.images.noise import generate_noise_image
from tests.helpers import smooth_image


def test_generate_noise_image_formula_and_seeds():
    content = normalize(smooth_image(6, 5, seed=10))
    got = generate_noise_image(content, 0.6, seed=3)
    assert got.shape == content.shape and got.dtype == np.float32
    noise = np.random.RandomState(3).uniform(-20, 20, content.shape)
    expected = 0.6 * noise + 0.4 * content.astype(np.float64)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(generate_noise_image(content, 0.6, seed=3), got)
    other = generate_noise_image(content, 0.6, seed=4)
    assert np.abs(other - got).max() > 1.0
    # The noise part stays within 0.6 * 20 of 0.4 * content.
    assert np.abs(got - 0.4 * content).max() <= 12.0 + 1e-4
    # noise_ratio 0 is the content itself; 1 is pure noise.
    np.testing.assert_allclose(generate_noise_image(content, 0.0, seed=3), content)
    np.testing.assert_allclose(generate_noise_image(content, 1.0, seed=3), noise, atol=1e-5)

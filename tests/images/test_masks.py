"""--style_masks files: grayscale by design, white where a style goes."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np

from nst_tf.images import masks


def test_a_grayscale_mask_loads_without_a_grayscale_line(tmp_path, caplog):
    path = str(tmp_path / "left.png")
    pixels = np.zeros((7, 9), np.uint8)
    pixels[:, :4] = 255
    iio.imwrite(path, pixels)
    with caplog.at_level("INFO"):
        mask = masks.load_mask(path, 9, 7)
    assert "grayscale" not in caplog.text
    np.testing.assert_allclose(mask, pixels / 255.0, atol=1e-6)

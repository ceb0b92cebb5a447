"""--style_masks files: grayscale by design, white where a style goes."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest

from nst_tf.errors import UserError
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


def test_a_mask_of_another_size_is_resized_with_a_line_and_another_aspect_refused(tmp_path, caplog):
    path = str(tmp_path / "half.png")
    iio.imwrite(path, np.full((60, 80), 255, np.uint8))  # 4:3, the working size's aspect
    with caplog.at_level("INFO"):
        assert masks.load_mask(path, 40, 30).shape == (30, 40)
    assert f"Resizing style mask {path} from 80x60 to 40x30" in caplog.text
    iio.imwrite(path, np.full((61, 80), 255, np.uint8))  # 1.7% off: a rounded size, admitted
    assert masks.load_mask(path, 40, 30).shape == (30, 40)
    iio.imwrite(path, np.full((80, 80), 255, np.uint8))  # square over a 4:3 image
    with pytest.raises(
        UserError, match=r"half.png is 80x80 \(aspect 1.000\) but the image is 40x30"
    ):
        masks.load_mask(path, 40, 30)

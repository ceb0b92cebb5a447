"""How much of the photograph's layout a result keeps: one number, comparable across sizes.

The content cost cannot say it: eq. 1 is a mean over conv4_2's positions, and at 200 px the
paper's run ends with about the content cost of the 400 px run (1.05x) while its picture has lost
the pyramid (docs/controls.md#small-images). So the layout is scored in pixels: the SSIM of the
luminance of result and content, both first resized (area) to LAYOUT_SIZE, 100x75. At that size
the layout (horizon, pyramid, buildings, clouds) is still there while the style's strokes,
a few pixels wide at every working size, are averaged away, and SSIM's 11-pixel window compares
structures about a tenth of the picture wide. Every result is scored at the same size, so a
200 px and a 400 px result are compared on the same grid.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

LAYOUT_SIZE = (100, 75)  # width, height: a quarter of the paper's 400x300


def _luminance(image: np.ndarray, size: tuple[int, int]) -> tf.Tensor:
    """uint8 RGB [H, W, 3] -> [1, height, width, 1] float luminance (0..255) at `size`."""
    pixels = tf.constant(np.asarray(image, np.float32)[np.newaxis])
    resized = tf.image.resize(pixels, (size[1], size[0]), method="area", antialias=True)
    return tf.image.rgb_to_grayscale(resized)


def layout_ssim(
    result: np.ndarray, content: np.ndarray, size: tuple[int, int] = LAYOUT_SIZE
) -> float:
    """SSIM of the luminance of two uint8 RGB images of any sizes, both resized to `size`.

    1 is the content's layout exactly; the paper's 400x300 run scores about 0.78 and Monet's
    painting itself about 0.09 against the Louvre.
    """
    return float(
        tf.image.ssim(_luminance(result, size), _luminance(content, size), max_val=255.0)[0]
    )

"""Region masks for --style_masks: grayscale images, white where a style goes, soft edges kept."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from nst_tf.errors import UserError
from nst_tf.images import io


def load_mask(path: str, width: int, height: int) -> np.ndarray:
    """float32 [height, width] in [0, 1]: the image's mean of R, G, B over 255, resized.

    Read and resized as floats (antialiased), so a soft or thin mask is not rounded away.
    """
    pixels = io.read_image(path, "style mask", gray_expected=True)
    pixels = pixels.astype(np.float32).mean(axis=-1) / 255.0
    resized = tf.image.resize(pixels[..., np.newaxis], (height, width), antialias=True)
    mask = np.clip(resized.numpy()[..., 0], 0.0, 1.0)
    if not mask.max() > 1e-3:
        raise UserError(
            f"style mask {path} is black everywhere, so its style would go nowhere: paint its "
            "region white"
        )
    return mask

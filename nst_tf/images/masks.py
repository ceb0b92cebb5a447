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
    pixels = io.read_image(path, "style mask").astype(np.float32).mean(axis=-1) / 255.0
    mask = resize_mask(pixels, width, height)
    if not mask.max() > 1e-3:
        raise UserError(
            f"style mask {path} is black everywhere, so its style would go nowhere: paint its "
            "region white"
        )
    return mask


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """A float [H, W] mask resized (antialiased, so thin regions survive) and kept in [0, 1]."""
    if mask.shape == (height, width):
        return mask
    resized = tf.image.resize(mask[..., np.newaxis], (height, width), antialias=True)
    return np.clip(resized.numpy()[..., 0], 0.0, 1.0)

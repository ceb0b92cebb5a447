"""Region masks for --style_masks: grayscale images, white where a style goes, soft edges kept."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf.errors import UserError
from nst_tf.images import io


def load_mask(path: str, width: int, height: int) -> np.ndarray:
    """float32 [height, width] in [0, 1]: the image's mean of R, G, B over 255, resized.

    Read and resized as floats (antialiased), so a soft or thin mask is not rounded away.
    """
    pixels = io.read_image(path, "style mask", gray_expected=True)
    pixels = pixels.astype(np.float32).mean(axis=-1) / 255.0
    check_aspect(path, pixels.shape, width, height)
    mask = resize_mask(pixels, width, height)
    if not mask.max() > 1e-3:
        raise UserError(
            f"style mask {path} is black everywhere, so its style would go nowhere: paint its "
            "region white"
        )
    return mask


MAX_ASPECT_MISMATCH = 0.02


def check_aspect(path: str, shape: tuple[int, ...], width: int, height: int) -> None:
    """Logs a mask's resize to the working size; refuses one of another aspect ratio.

    A mask drawn over another picture, or cropped, would put a style in the wrong place once
    stretched; a 2% tolerance admits masks saved at a rounded size of the same picture.
    """
    mask_height, mask_width = shape[:2]
    if (mask_height, mask_width) == (height, width):
        return
    aspect, wanted = mask_width / mask_height, width / height
    if abs(aspect / wanted - 1.0) > MAX_ASPECT_MISMATCH:
        raise UserError(
            f"style mask {path} is {mask_width}x{mask_height} (aspect {aspect:.3f}) but the "
            f"image is {width}x{height} (aspect {wanted:.3f}); draw the mask over the content "
            "image, at its size or a scaled copy"
        )
    logging.info(
        "Resizing style mask %s from %dx%d to %dx%d", path, mask_width, mask_height, width, height
    )


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """A float [H, W] mask resized (antialiased, so thin regions survive) and kept in [0, 1]."""
    if mask.shape == (height, width):
        return mask
    resized = tf.image.resize(mask[..., np.newaxis], (height, width), antialias=True)
    return np.clip(resized.numpy()[..., 0], 0.0, 1.0)

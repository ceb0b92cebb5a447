"""Images in and out: RGB loading, the paper's mean subtraction, atomic saves.

The network sees mean-subtracted RGB floats ("normalized"); files hold uint8 RGB. Saving adds
the means back and clips, exactly as the course's `save_image` did.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import imageio.v3 as iio
import numpy as np
from absl import logging

from nst_tf.errors import UserError
from nst_tf.files import atomic_path

PAPER_MEANS = (123.68, 116.779, 103.939)


def load_image(path: str, width: int, height: int, role: str = "image") -> np.ndarray:
    """Reads any image imageio knows as uint8 RGB [height, width, 3]."""
    return fit_image(read_image(path, role), width, height, path)


def read_image(path: str, role: str = "image", gray_expected: bool = False) -> np.ndarray:
    """Reads any image imageio knows as uint8 RGB at its own size.

    A grayscale file is logged, being unusual for a photograph or painting; `gray_expected`
    (masks) skips that line.
    """
    _check_file(path, role)
    try:
        pixels = iio.imread(path, plugin="pillow")
    except Exception as err:  # Pillow raises many types; all mean "not an image we can read"
        raise UserError(
            f"{role} image {path} could not be read as an image ({type(err).__name__}); "
            "pass a JPEG or PNG file"
        ) from None
    return _as_rgb_uint8(np.asarray(pixels), path, gray_expected)


# nst-tf-batch's flag for a folder of each role's images (a folder is not one image).
_FOLDER_FLAGS = {"content": "--contents", "style": "--styles"}


def _check_file(path: str, role: str) -> None:
    if os.path.isdir(path):
        batch = _FOLDER_FLAGS.get(role)
        hint = f", or run nst-tf-batch {batch}={path} for each image in it" if batch else ""
        raise UserError(f"{role} image {path} is a folder; pass one JPEG or PNG file{hint}")
    if not os.path.isfile(path):
        raise UserError(f"{role} image not found: {path}; pass an existing JPEG or PNG file")


def fit_image(pixels: np.ndarray, width: int, height: int, path: str) -> np.ndarray:
    """`pixels` resized to width x height, logged when it changes (read from `path`)."""
    if pixels.shape[:2] != (height, width):
        logging.info(
            "Resizing %s from %dx%d to %dx%d", path, pixels.shape[1], pixels.shape[0], width, height
        )
        pixels = resize(pixels, width, height)
    return pixels


def _as_rgb_uint8(pixels: np.ndarray, path: str, gray_expected: bool) -> np.ndarray:
    if pixels.ndim == 4:  # animated GIF or multi-page TIFF: the first frame
        logging.info("%s has %d frames; using the first", path, pixels.shape[0])
        pixels = pixels[0]
    if pixels.dtype == np.uint16:
        pixels = (pixels / 257.0).round().astype(np.uint8)
    elif pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255
    elif pixels.dtype != np.uint8:
        raise UserError(f"{path} has {pixels.dtype} pixels; pass an 8- or 16-bit JPEG or PNG")
    if pixels.ndim == 2:
        if not gray_expected:
            logging.info("%s is grayscale; converting to RGB", path)
        pixels = np.stack([pixels] * 3, axis=-1)
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 2, 3, 4) or min(pixels.shape[:2]) < 1:
        raise UserError(f"{path} has shape {pixels.shape}, not an image; pass a JPEG or PNG")
    if pixels.shape[2] in (2, 4):
        logging.info("%s has an alpha channel; dropping it", path)
        pixels = pixels[..., :-1]
    if pixels.shape[2] == 1:
        if not gray_expected:
            logging.info("%s is grayscale; converting to RGB", path)
        pixels = np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels)


def resize(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-aware bilinear resize (antialiased when shrinking) to exactly width x height."""
    import tensorflow as tf

    resized = tf.image.resize(pixels.astype(np.float32), (height, width), antialias=True)
    return np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8)


def normalize(pixels: np.ndarray, means: Sequence[float] = PAPER_MEANS) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [1, H, W, 3] minus the RGB means (reshape_and_normalize_image)."""
    return (pixels.astype(np.float32) - np.asarray(means, np.float32))[np.newaxis]


def denormalize(image: np.ndarray, means: Sequence[float] = PAPER_MEANS) -> np.ndarray:
    """float [1, H, W, 3] network image -> uint8 [H, W, 3]: means added back, clipped."""
    pixels = np.asarray(image, np.float32)[0] + np.asarray(means, np.float32)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def side_by_side(*panels: np.ndarray, gap: int = 8) -> np.ndarray:
    """Equal-height uint8 RGB panels in a row with white gaps (content | style | generated)."""
    height = max(panel.shape[0] for panel in panels)
    row = []
    for panel in panels:
        if panel.shape[0] != height:
            width = max(round(panel.shape[1] * height / panel.shape[0]), 1)
            panel = resize(panel, width, height)
        row += [panel, np.full((height, gap, 3), 255, np.uint8)]
    return np.concatenate(row[:-1], axis=1)


def save_image(path: str, pixels: np.ndarray) -> None:
    """Writes uint8 RGB via a temporary file, so a crash never leaves half an image."""
    extension = os.path.splitext(path)[1].lower()
    options = {"quality": 95} if extension in (".jpg", ".jpeg") else {}
    with atomic_path(path) as tmp_path:
        iio.imwrite(tmp_path, pixels, extension=extension, **options)


def read_size(path: str, role: str = "image") -> tuple[int, int]:
    """(width, height) of an image file, from its header: the aspect ratio --scales keeps."""
    _check_file(path, role)
    try:
        shape = iio.improps(path, plugin="pillow", index=0).shape
    except Exception as err:  # Pillow raises many types; all mean "not an image we can read"
        raise UserError(
            f"{role} image {path} could not be read as an image ({type(err).__name__}); "
            "pass a JPEG or PNG file"
        ) from None
    return int(shape[1]), int(shape[0])

"""Simple segmentations for Luan et al.'s augmented style loss: the sky and the rest, by colour.

Luan et al. segment their pairs with a scene-parsing network or by hand (their README, "Image
segmentation"); Figure 6's pairs need only the obvious split, so this finds the sky without a
model: pixels that are blue-ish and not dark, or bright and grey-white (clouds), connected to
the image's top row, with the holes they enclose (the sun, a cloud's dark core) filled. The
result is written in Luan et al.'s colour code, sky blue and the rest white
(nst_tf.images.segmentation), for --content_segmentation and --style_segmentation.

A pair is segmented only when both images have a sky and something else, each at least
`min_share` of the image: otherwise the segmentation would add an orphan class or a single
class, and the global style term is the right one.
"""

from __future__ import annotations

import os

import numpy as np
from scipy import ndimage

from nst_tf.images import io
from nst_tf.images.segmentation import COLORS

SKY, REST = "blue", "white"
MIN_SHARE = 0.1


def sky_mask(pixels: np.ndarray) -> np.ndarray:
    """bool [H, W]: where uint8 RGB [H, W, 3] pixels look like sky."""
    rgb = pixels.astype(np.float64) / 255.0
    value = rgb.max(axis=-1)
    spread = value - rgb.min(axis=-1)
    saturation = np.where(value > 0, spread / np.maximum(value, 1e-12), 0.0)
    red, green, blue = np.moveaxis(rgb, -1, 0)
    # Hue in degrees, but only where blue is the largest channel (hue 180-300).
    hue = np.where(spread > 0, 240.0 + 60.0 * (red - green) / np.maximum(spread, 1e-12), 0.0)
    blueish = (blue >= value) & (spread > 0) & (hue >= 170) & (hue <= 260) & (value > 0.35)
    cloudy = (saturation < 0.2) & (value > 0.6)
    candidates = ndimage.binary_opening(blueish | cloudy, np.ones((3, 3), bool))
    labels, _ = ndimage.label(candidates)
    touching_top = np.setdiff1d(np.unique(labels[0]), [0])
    sky = np.isin(labels, touching_top)
    # Fill what the sky encloses, the picture's top and sides counting as sky.
    padded = np.pad(sky, ((1, 0), (1, 1)), constant_values=True)
    return ndimage.binary_fill_holes(padded)[1:, 1:-1]


def segmentation_image(sky: np.ndarray) -> np.ndarray:
    """uint8 RGB [H, W, 3] in Luan et al.'s colour code: sky blue, the rest white."""
    return np.where(sky[..., np.newaxis], COLORS[SKY], COLORS[REST]).astype(np.uint8)


def pair_segmentations(
    content: np.ndarray, style: np.ndarray, min_share: float = MIN_SHARE
) -> tuple[np.ndarray, np.ndarray] | None:
    """Colour-coded segmentations of a pair of uint8 RGB images, or None (see the module doc)."""
    masks = [sky_mask(content), sky_mask(style)]
    if not all(min_share <= mask.mean() <= 1.0 - min_share for mask in masks):
        return None
    return segmentation_image(masks[0]), segmentation_image(masks[1])


def write_pair_segmentations(
    content_path: str, style_path: str, output_dir: str, min_share: float = MIN_SHARE
) -> tuple[str, str] | None:
    """Writes `<stem>_segmentation.png` for both images of a pair (each at its own size).

    Returns their paths, for --content_segmentation and --style_segmentation, or None when the
    pair has no sky to split by (the run then takes the global style term).
    """
    images = [io.read_image(content_path, "content"), io.read_image(style_path, "style")]
    segmentations = pair_segmentations(*images, min_share=min_share)
    if segmentations is None:
        return None
    os.makedirs(output_dir, exist_ok=True)
    paths = []
    for path, pixels in zip((content_path, style_path), segmentations, strict=True):
        stem = os.path.splitext(os.path.basename(path))[0]
        paths.append(os.path.join(output_dir, f"{stem}_segmentation.png"))
        io.save_image(paths[-1], pixels)
    return paths[0], paths[1]

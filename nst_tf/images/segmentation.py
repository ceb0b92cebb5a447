"""Colour-coded segmentations for Luan et al.'s augmented style loss (--content_segmentation).

Luan et al.'s released code (luanfujun/deep-photo-styletransfer, neuralstyle_seg.lua and
deepmatting_seg.lua) reads a content and a style segmentation as RGB images, resizes each
bilinearly to its image's size (L73-76), and takes one class per colour of nine: a pixel is in
a class when every channel, in [0, 1], passes that colour's test, < 0.1 for a 0 channel, > 0.9
for a 255 one, within (0.4, 0.6) for grey's 128 (`ExtractMask`, L387-429). Classes are matched
by colour: the content's red region takes the style of the style's red region.

Pixels of any other colour belong to no class and feel no style cost, as in their code. That
is warned about, not refused: their own example segmentations have such pixels on antialiased
edges (examples/segmentation/in1.png: 1.4% of its pixels). A class of the content missing from
the style (an "orphan" class) is refused: their code would give it a zero target Gram
(L145-155), pushing that region's features to zero. A class only the style has is dropped
with a warning: no pixel of the result asks for it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.images.masks import MAX_ASPECT_MISMATCH

# Their `color_codes` order and each colour's RGB value (README "Image segmentation" table).
COLORS = {
    "blue": (0, 0, 255),
    "green": (0, 255, 0),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "red": (255, 0, 0),
    "yellow": (255, 255, 0),
    "grey": (128, 128, 128),
    "lightblue": (0, 255, 255),
    "purple": (255, 0, 255),
}


def color_masks(labels: np.ndarray) -> dict[str, np.ndarray]:
    """{colour: bool [H, W]} of a float [H, W, 3] label image in [0, 1], by their thresholds."""
    masks = {}
    for name, rgb in COLORS.items():
        inside = np.ones(labels.shape[:2], bool)
        for channel, value in enumerate(rgb):
            plane = labels[..., channel]
            if value == 0:
                inside &= plane < 0.1
            elif value == 255:
                inside &= plane > 1 - 0.1
            else:
                inside &= (plane > 0.5 - 0.1) & (plane < 0.5 + 0.1)
        masks[name] = inside
    return masks


@dataclasses.dataclass(frozen=True)
class Segments:
    """The classes both segmentations share: a float32 mask per class at each image's size.

    `content` is [K, H, W] at the generated image's size, `style` [K, h, w] at the style
    image's; `colors` names each class.
    """

    colors: tuple[str, ...]
    content: np.ndarray
    style: np.ndarray

    def resized(self, content_size: tuple[int, int], style_size: tuple[int, int]) -> Segments:
        """The masks at other (width, height)s: a --scales run's coarser scale."""
        return Segments(
            self.colors,
            _resize_masks(self.content, *content_size),
            _resize_masks(self.style, *style_size),
        )


def load_segments(
    content_path: str,
    style_path: str,
    content_sizes: tuple[tuple[int, int], tuple[int, int]],
    style_sizes: tuple[tuple[int, int], tuple[int, int]],
) -> Segments:
    """Reads both segmentation files and matches their classes by colour.

    `content_sizes` is (the content file's (width, height), the working size); `style_sizes`
    the same for the style image. Each segmentation must have its image's aspect ratio; it is
    resized to the size its image is used at.
    """
    content = _read_labels(content_path, "--content_segmentation", "content", *content_sizes)
    style = _read_labels(style_path, "--style_segmentation", "style", *style_sizes)
    in_content = {name: mask for name, mask in color_masks(content).items() if mask.any()}
    in_style = {name: mask for name, mask in color_masks(style).items() if mask.any()}
    if not in_content:
        raise UserError(
            f"--content_segmentation {content_path} has no pixel of any of the nine colours "
            f"({', '.join(COLORS)}): paint each region in one of them"
        )
    orphans = [name for name in in_content if name not in in_style]
    if orphans:
        raise UserError(
            f"--content_segmentation {content_path} has {_listed(orphans)} that "
            f"--style_segmentation {style_path} lacks, so those regions would have no style to "
            f"take: recolour them to a colour the style has ({_listed(list(in_style)) or 'none'})"
        )
    unused = [name for name in in_style if name not in in_content]
    if unused:
        logging.warning(
            "--style_segmentation %s has %s that the content lacks; that style is not used",
            style_path,
            _listed(unused),
        )
    colors = tuple(in_content)
    return Segments(
        colors,
        np.stack([in_content[name] for name in colors]).astype(np.float32),
        np.stack([in_style[name] for name in colors]).astype(np.float32),
    )


def _listed(colors: list[str]) -> str:
    return ", ".join(colors) if len(colors) != 1 else f"class {colors[0]}"


def _read_labels(
    path: str,
    flag: str,
    role: str,
    image_size: tuple[int, int],
    working_size: tuple[int, int],
) -> np.ndarray:
    """A segmentation file as float [H, W, 3] in [0, 1] at the working size.

    Refuses another aspect ratio than its image's (it was drawn over another picture, or
    cropped); warns once about pixels of no class, counted in the file as drawn.
    """
    pixels = io.read_image(path, flag, gray_expected=True)
    height, width = pixels.shape[:2]
    aspect, wanted = width / height, image_size[0] / image_size[1]
    if abs(aspect / wanted - 1.0) > MAX_ASPECT_MISMATCH:
        raise UserError(
            f"{flag} {path} is {width}x{height} (aspect {aspect:.3f}) but the {role} image is "
            f"{image_size[0]}x{image_size[1]} (aspect {wanted:.3f}); draw the segmentation over "
            f"the {role} image, at its size or a scaled copy"
        )
    labels = pixels.astype(np.float32) / 255.0
    unknown = ~np.any(np.stack(list(color_masks(labels).values())), axis=0)
    if unknown.any():
        logging.warning(
            "%s %s: %.1f%% of its pixels match none of the nine colours (%s) and feel no style "
            "cost",
            flag,
            path,
            100.0 * unknown.mean(),
            ", ".join(COLORS),
        )
    if (width, height) != working_size:
        logging.info("Resizing %s %s from %dx%d to %dx%d", flag, path, width, height, *working_size)
        # Bilinear and without antialiasing, as their image.scale(seg, w, h, 'bilinear').
        labels = tf.image.resize(labels, working_size[::-1], method="bilinear").numpy()
    return labels


def _resize_masks(masks: np.ndarray, width: int, height: int) -> np.ndarray:
    """[K, H, W] masks at (width, height), antialiased so that no class is lost."""
    if masks.shape[1:] == (height, width):
        return masks
    resized = tf.image.resize(np.moveaxis(masks, 0, -1), (height, width), antialias=True)
    return np.clip(np.moveaxis(resized.numpy(), -1, 0), 0.0, 1.0)

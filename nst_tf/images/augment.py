"""Rotated and scaled copies of a style image, Li & Wand's style-patch augmentation.

So that a style patch can match the content in another pose or size, their released code
(chuanli11/CNNMRF, `transfer_CNNMRF_wrapper.lua` L159-178, L578-579) samples patches from
(2r + 1) x (2s + 1) copies of the style image: rotated by i pi/24 for i in [-r, r], each
rotation cropped to a centred box inside the rotated picture (their `computeBB`, helper.lua
L74-139, so no empty corner enters a patch), then for j in [-s, s] resized, aspect kept, to a
long side of floor(long side x 1.05^j) (bilinear). Their run_trans.lua uses r = s = 1 (9
copies), its examples r = s = 3 (49 copies); their default is 0 (the image alone).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.ndimage
import tensorflow as tf

from nst_tf.images.sizes import fit_long_side

ROTATION_STEP = math.pi / 24  # params.target_step_rotation
SCALE_STEP = 1.05  # params.target_step_scale


def inscribed_box(width: int, height: int, angle: float) -> tuple[float, float]:
    """Half-extents (u, v) of their centred box inside a width x height picture rotated by
    `angle` about its centre: its top edge at the height where the rotated top edge meets the
    picture's left border, its sides where that height meets the rotated side edges.

    With a, b the half width and height, c = cos|angle| and s = sin|angle|: v = (b - a s) / c
    and u = (a - s v) / c (computeBB's line intersections, solved; the box is the same for
    +angle and -angle, mirrored).
    """
    a, b = width / 2, height / 2
    c, s = math.cos(abs(angle)), math.sin(abs(angle))
    v = (b - a * s) / c
    return (a - s * v) / c, v


def rotated(image: np.ndarray, angle: float) -> np.ndarray:
    """[H, W, 3] rotated by `angle` (radians) about its centre (bilinear), cropped to the box."""
    if angle == 0:
        return image
    height, width = image.shape[:2]
    turned = scipy.ndimage.rotate(image, math.degrees(angle), axes=(1, 0), reshape=False, order=1)
    u, v = inscribed_box(width, height, angle)
    top, left = math.ceil(height / 2 - v), math.ceil(width / 2 - u)
    bottom, right = math.floor(height / 2 + v), math.floor(width / 2 + u)
    return turned[top:bottom, left:right]


def scaled(image: np.ndarray, factor: float) -> np.ndarray:
    """[H, W, 3] resized (bilinear, aspect kept) to a long side of floor(long side x factor)."""
    height, width = image.shape[:2]
    if factor == 1:
        return image
    long_side = max(1, math.floor(max(height, width) * factor))
    new_width, new_height = fit_long_side(width, height, long_side)
    return tf.image.resize(image, (new_height, new_width), method="bilinear").numpy()


def style_copies(style: np.ndarray, rotations: int, scales: int) -> list[np.ndarray]:
    """A normalized style [1, H, W, 3] as its (2 rotations + 1) (2 scales + 1) copies,
    rotation-major as theirs; rotations = scales = 0 gives the style alone."""
    copies = []
    for i in range(-rotations, rotations + 1):
        turned = rotated(np.asarray(style[0], np.float32), i * ROTATION_STEP)
        for j in range(-scales, scales + 1):
            copies.append(scaled(turned, SCALE_STEP**j)[np.newaxis].astype(np.float32))
    return copies

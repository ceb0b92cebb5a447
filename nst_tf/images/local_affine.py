"""Luan et al.'s final post-process: the result refitted as a smooth local affine map of the input.

Their second stage saves only this (deepmatting_seg.lua L255-258, `SmoothLocalAffine`;
cuda_utils.cu L269-443), so their published results are post-processed:

1. at every pixel, the affine colour map A (3x4) that best takes the input's colours to the
   result's over the 3x3 window around it (clipped at the border), by least squares with 1e-3
   added to the colour part of M^T M (L280-348; their epsilon argument is unused);
2. each of A's 12 coefficients bilaterally filtered: a (2 radius + 1)^2 window, spatial sigma
   radius / 3, range sigma `edge` on the mean squared colour difference of the input (L364-411);
3. the output A [input, 1] at every pixel (L414-443).

The photorealism term asks for a locally affine result; this makes it one, so what the
optimisation left of the style's texture inside a region goes, and edges are the input's.
Vectorised over pixels, looping over the window's offsets: about 10-20 s at 400x300 on two
cores (docs/performance.md), once per run.
"""

from __future__ import annotations

import numpy as np

RADIUS = 15  # -f_radius 15 (gen_all.py L21; the Lua default is 7)
EDGE = 0.01  # -f_edge 0.01 (gen_all.py L21; the Lua default is 0.05)
REGULARIZER = 1e-3  # cuda_utils.cu L290


def smooth_local_affine(
    result: np.ndarray, content: np.ndarray, radius: int = RADIUS, edge: float = EDGE
) -> np.ndarray:
    """uint8 RGB [H, W, 3] result and content (same size) -> the post-processed uint8 result."""
    output = result.astype(np.float64) / 255.0
    guide = content.astype(np.float64) / 255.0
    affine = _local_affine(output, guide)
    smoothed = _bilateral(affine.reshape(*affine.shape[:2], 12), guide, radius, edge)
    height, width = guide.shape[:2]
    colours = np.concatenate([guide, np.ones((height, width, 1))], axis=-1)
    pixels = np.einsum("hwij,hwj->hwi", smoothed.reshape(height, width, 3, 4), colours)
    return np.clip(np.round(pixels * 255.0), 0, 255).astype(np.uint8)


def _window_sums(values: np.ndarray) -> np.ndarray:
    """Sums over each pixel's 3x3 window, clipped at the border, of [H, W, ...] values."""
    height, width = values.shape[:2]
    padded = np.pad(values, ((1, 1), (1, 1)) + ((0, 0),) * (values.ndim - 2))
    return sum(padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3))


def _local_affine(output: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """[H, W, 3, 4]: per pixel, argmin_A sum_window |A [I, 1] - O|^2 + 1e-3 |A_colour|^2."""
    height, width = guide.shape[:2]
    colours = np.concatenate([guide, np.ones((height, width, 1))], axis=-1)
    gram = _window_sums(colours[..., :, np.newaxis] * colours[..., np.newaxis, :])
    gram += REGULARIZER * np.diag([1.0, 1.0, 1.0, 0.0])
    cross = _window_sums(output[..., :, np.newaxis] * colours[..., np.newaxis, :])
    return cross @ np.linalg.inv(gram)


def _bilateral(values: np.ndarray, guide: np.ndarray, radius: int, edge: float) -> np.ndarray:
    """[H, W, C] values averaged over each pixel's window, weighted by distance and colour."""
    height, width = guide.shape[:2]
    values, guide = values.astype(np.float32), guide.astype(np.float32)
    total = np.zeros_like(values)
    weights = np.zeros((height, width), np.float32)
    sigma = radius / 3.0
    reach_y, reach_x = min(radius, height - 1), min(radius, width - 1)  # offsets that exist
    for dy in range(-reach_y, reach_y + 1):
        for dx in range(-reach_x, reach_x + 1):
            # Pixels p = (y, x) whose neighbour q = (y + dy, x + dx) is inside the image.
            here = (slice(max(0, -dy), height - max(0, dy)), slice(max(0, -dx), width - max(0, dx)))
            there = (
                slice(max(0, dy), height - max(0, -dy)),
                slice(max(0, dx), width - max(0, -dx)),
            )
            difference = np.mean(np.square(guide[there] - guide[here]), axis=-1)
            weight = np.exp(-(dy * dy + dx * dx) / (2 * sigma**2) - difference / (2 * edge**2))
            total[here] += weight[..., np.newaxis] * values[there]
            weights[here] += weight
    return total / weights[..., np.newaxis]

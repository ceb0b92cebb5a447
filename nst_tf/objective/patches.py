"""Feature patches for the MRF term: where they sit, how they are cut, how they are matched.

Li & Wand (CVPR 2016) compare k x k patches of VGG feature maps (k = 3). Their released code
(chuanli11/CNNMRF, `mylib/helper.lua` `computegrid`) places patches on a grid of one stride
and adds a last "tail" patch where the stride would leave the final rows or columns
uncovered; both the style patches and the generated image's patches use that grid.

A generated patch's match is the style patch of highest normalised cross-correlation, the
argmax of <p, s> / (|p| |s|) over style patches s (`mylib/mrf.lua` L107-207). |p| is the same
for every s, so the argmax needs only the style norms: scores are <p, s / |s|>, one matrix
product. The number of scores is (generated patches) x (style patches), and both grow with the
image area (and the style's with its augmented copies): 2.6e7 at relu3_1 for 400x300 with 9
copies, 1.2e9 at 1024 px. So the style patches are matched in chunks, one chunk's scores alive
at a time, with a running max and argmax; the result is the unchunked argmax (ties go to the
earlier style patch in both).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

PATCH = 3  # k: Li & Wand's patch size, 3x3 on the feature map (run_trans.lua, mrf_patch_size)


def grid(length: int, stride: int, patch: int = PATCH) -> np.ndarray:
    """Patch origins along one axis of `length`: 0, stride, 2 stride, ..., then the last
    origin `length - patch` if the stride skipped it (their `computegrid` with its tail)."""
    last = length - patch
    if last < 0:
        raise ValueError(f"a {patch}-wide patch does not fit in {length}")
    origins = list(range(0, last + 1, stride))
    if origins[-1] != last:
        origins.append(last)
    return np.asarray(origins, np.int32)


@dataclasses.dataclass(frozen=True)
class PatchGrid:
    """The patches of an h x w map on one stride's grid, in row-major order."""

    rows: np.ndarray  # origins along the height
    cols: np.ndarray  # origins along the width
    patch: int = PATCH

    @classmethod
    def of(cls, height: int, width: int, stride: int, patch: int = PATCH) -> PatchGrid:
        return cls(grid(height, stride, patch), grid(width, stride, patch), patch)

    @property
    def count(self) -> int:
        return len(self.rows) * len(self.cols)

    def coverage(self, height: int, width: int) -> np.ndarray:
        """[h, w]: how many of the grid's patches cover each position (0 where none does)."""
        counts = np.zeros((height, width))
        for row in self.rows:
            for col in self.cols:
                counts[row : row + self.patch, col : col + self.patch] += 1
        return counts

    def inverse_coverage(self, height: int, width: int) -> np.ndarray:
        """[patches, k * k]: 1 / coverage at each position of each patch, in `extract`'s order."""
        counts = self.coverage(height, width)
        offsets = np.arange(self.patch)
        rows = (self.rows[:, None] + offsets)[:, None, :, None]  # [rows, 1, dy, 1]
        cols = (self.cols[:, None] + offsets)[None, :, None, :]  # [1, cols, 1, dx]
        return (1.0 / counts[rows, cols]).reshape(self.count, self.patch * self.patch)

    def extract(self, features: tf.Tensor) -> tf.Tensor:
        """[N, h, w, C] -> [N, patches, k * k * C], each patch flattened as (dy, dx, channel).

        Gathers, so the gradient reaches `features` (each position once per patch covering it).
        """
        n, _, _, channels = features.shape
        offsets = []
        for dy in range(self.patch):
            band = tf.gather(features, self.rows + dy, axis=1)
            offsets += [tf.gather(band, self.cols + dx, axis=2) for dx in range(self.patch)]
        stacked = tf.stack(offsets, axis=3)  # [N, rows, cols, k * k, C]
        return tf.reshape(stacked, [n, self.count, self.patch * self.patch * channels])


def chunk_table(patches: tf.Tensor, chunk: int) -> tuple[tf.Tensor, tf.Tensor]:
    """Style patches [Q, D] as chunks for `nearest`: ([chunks, chunk, D], inverse norms).

    The last chunk is filled up with copies of the first patches (chunk <= Q). A copy scores
    what its original scores; the original comes first, and `nearest` keeps the first of equal
    scores, so a copy can win only by rounding, and then it is the same patch. A zero patch
    gets inverse norm 0: it scores 0 (their code divides by zero there).
    """
    patches = tf.convert_to_tensor(patches, tf.float32)
    count = patches.shape[0]
    chunks = -(-count // chunk)
    filled = tf.concat([patches, patches[: chunks * chunk - count]], axis=0)
    inverse = tf.math.divide_no_nan(1.0, tf.norm(filled, axis=1))
    return tf.reshape(filled, [chunks, chunk, -1]), tf.reshape(inverse, [chunks, chunk])


def nearest(patches: tf.Tensor, table: tf.Tensor, inverse_norms: tf.Tensor) -> tf.Tensor:
    """For each patch of [N, P, D], its best style patch of `chunk_table`'s table, [N, P, D].

    Best is the highest <p, s> / |s| (the normalised cross-correlation's argmax). Chunks run one
    after another (parallel_iterations=1), so only one [N, P, chunk] block of scores exists at
    a time. The matches are constants to the gradient (stop_gradient): the caller's energy
    differentiates through its own patches only.
    """
    patches = tf.stop_gradient(patches)
    n, count = patches.shape[0], patches.shape[1]
    chunks, chunk = table.shape[0], table.shape[1]

    def body(index, best, where):
        scores = tf.einsum("npd,qd->npq", patches, table[index]) * inverse_norms[index]
        top = tf.reduce_max(scores, axis=2)
        better = top > best  # strictly: an earlier chunk keeps its ties
        where = tf.where(
            better, index * chunk + tf.argmax(scores, axis=2, output_type=tf.int32), where
        )
        return index + 1, tf.maximum(best, top), where

    start = (
        tf.constant(0),
        tf.fill([n, count], -np.inf),
        tf.zeros([n, count], tf.int32),
    )
    _, _, where = tf.while_loop(
        lambda index, *_: index < chunks, body, start, parallel_iterations=1
    )
    flat = tf.reshape(table, [chunks * chunk, -1])
    return tf.gather(flat, where)

"""Working sizes from a long side, the aspect ratio kept: --image_size, --style_scale, --scales.

--scales is a schedule of sizes (coarse to fine): each `Scale` is a run of its own size and its
share of the iterations, numbered over the whole run (with --scales=200,400
--scale_iterations=150,50, iteration 150 is the first at 400 px).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np


def fit_long_side(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(width, height) scaled so that the longer side is `long_side` pixels, at least 1 each.

    Rounding keeps the aspect ratio as close as whole pixels allow; an image already of that
    long side keeps its exact size (the paper's 400x300 at 400 stays 400x300).
    """
    if long_side < 1:
        raise ValueError(f"long side must be positive, got {long_side}")
    scale = long_side / max(width, height)
    if width >= height:
        return long_side, max(1, round(height * scale))
    return max(1, round(width * scale)), long_side


def working_size(
    content_size: tuple[int, int], width: int, height: int, image_size: int | None
) -> tuple[int, int]:
    """(width, height) of the generated image, the one rule for "the working size of a run".

    The paper's exact width x height, or, with --image_size, the content's own aspect at that
    long side. Callers that run at several sizes pass each long side as image_size.
    """
    if image_size is None:
        return width, height
    return fit_long_side(*content_size, image_size)


def style_size(
    style_size: tuple[int, int], generated_size: tuple[int, int], style_scale: float | None
) -> tuple[int, int]:
    """(width, height) a style image is resized to.

    The generated image's size (the paper's, stretching a style of another shape), or, with
    --style_scale=s, the style's own aspect at s times the generated image's long side: s sets
    the scale of the style's strokes in the result.
    """
    if style_scale is None:
        return generated_size
    return fit_long_side(*style_size, max(1, round(style_scale * max(generated_size))))


@dataclasses.dataclass(frozen=True)
class Scale:
    """One size of a run and its iterations [start, end) in the run's numbering."""

    index: int
    width: int
    height: int
    iterations: int
    start: int  # iterations of the scales before this one

    @property
    def end(self) -> int:
        return self.start + self.iterations

    @property
    def long_side(self) -> int:
        return max(self.width, self.height)


def schedule(
    content_size: tuple[int, int],
    working: tuple[int, int],
    num_iterations: int,
    scales: Sequence[int] | None = None,
    scale_iterations: Sequence[int] | None = None,
) -> list[Scale]:
    """The run's sizes: one scale at `working` (width, height), or each of `scales` as a long
    side at the content's aspect (content_size is its width, height)."""
    if scales is None:
        return [Scale(0, *working, num_iterations, 0)]
    iterations = scale_iterations or [num_iterations] * len(scales)
    result, start = [], 0
    for index, (long_side, count) in enumerate(zip(scales, iterations, strict=True)):
        result.append(Scale(index, *fit_long_side(*content_size, long_side), count, start))
        start += count
    return result


def scale_at(scales: Sequence[Scale], updates: int) -> Scale:
    """The scale whose updates run up to `updates`: the one a checkpoint then was taken in."""
    for scale in scales:
        if updates <= scale.end:
            return scale
    return scales[-1]


def upsample(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """A normalized [1, H, W, 3] image resized bicubically to width x height (the next scale)."""
    import tensorflow as tf

    resized = tf.image.resize(tf.constant(image, tf.float32), (height, width), method="bicubic")
    return resized.numpy()

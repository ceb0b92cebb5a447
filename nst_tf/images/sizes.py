"""Working sizes from a long side, the aspect ratio kept: --image_size, --style_scale, --scales.

--scales is a schedule of sizes (coarse to fine): each `Scale` is a run of its own size and its
share of the iterations, numbered over the whole run (with --scales=200,400
--scale_iterations=150,50, iteration 150 is the first at 400 px). `small_image_note` says when an
output size is one where the paper's weights lose the photograph's layout.
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


# Issue 18: below the paper's size its weights lose the photograph's layout (measured on the
# paper's pair, docs/controls.md#small-images).
PAPER_LONG_SIDE = 400
PAPER_STYLE_RATIO = 4.0  # configs/paper.py: beta / alpha = 40 / 10


def small_image_note(width: int, height: int, alpha: float, beta: float) -> str | None:
    """A line for a run of the paper's objective below 400 px at its balance, else None.

    With the paper's alpha and beta the content term holds nothing (alpha = 0 gives the same
    picture at 200 and 400 px): the layout is the start image's, and the style repaints what
    its deep layers see whole, objects up to about 70 px (conv4_1's receptive field). At
    400x300 the Louvre's pyramid is larger than that and stays; at 200x150 it is not and goes.
    Runs that weigh the content more than the paper (beta / alpha < 4) are left alone, and so
    is the paper's 400x300; the caller checks that the objective is the paper's otherwise.
    """
    if max(width, height) >= PAPER_LONG_SIDE or beta < PAPER_STYLE_RATIO * alpha:
        return None
    return (
        f"{width}x{height} is smaller than the paper's 400x300: at its alpha/beta the style "
        "repaints objects smaller than about 70 px, so the photograph's layout fades; "
        "--alpha=1e4 at 300 px, 1e5 at 200 px (3e5 with L-BFGS) keeps it (README, Small images)"
    )


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

"""Working sizes from a long side, the aspect ratio kept: --image_size, --style_scale, --scales."""

from __future__ import annotations


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

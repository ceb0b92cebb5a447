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

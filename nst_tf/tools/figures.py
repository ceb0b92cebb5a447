"""The reproduction's figures: a contact sheet (NumPy only) and the cost-trace plot.

The plot needs matplotlib, an optional extra (`pip install .[plots]`); everything else is
written without it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from nst_tf.files import atomic_path
from nst_tf.tools.compare import COST_COLUMNS

JPEG_QUALITY = 85  # the docs' figures: small files that still show brush strokes


def contact_sheet(panels: Sequence[np.ndarray], columns: int = 4, gap: int = 6) -> np.ndarray:
    """Equal-sized uint8 RGB images in a grid, row by row, on white."""
    height, width = panels[0].shape[:2]
    rows = -(-len(panels) // columns)
    sheet = np.full(
        (rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap, 3), 255, np.uint8
    )
    for index, panel in enumerate(panels):
        top, left = (index // columns) * (height + gap), (index % columns) * (width + gap)
        sheet[top : top + height, left : left + width] = panel
    return sheet


def save_jpeg(path: str, pixels: np.ndarray) -> None:
    """A figure for the docs as a small JPEG, written atomically (its folder is made)."""
    import imageio.v3 as iio

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with atomic_path(path) as tmp_path:
        iio.imwrite(tmp_path, pixels, extension=".jpg", quality=JPEG_QUALITY)


def plot_cost_trace(
    ours: Sequence[dict[str, float]], reported: Sequence[dict[str, float]], path: str
) -> None:
    """Total, content and style cost per iteration on log axes, the paper's points overlaid.

    Raises ImportError when matplotlib is missing.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    for axis, column in zip(axes, COST_COLUMNS, strict=True):
        axis.plot(
            [r["iteration"] for r in ours], [r[column] for r in ours], "-o", ms=3, label="nst_tf"
        )
        axis.plot(
            [r["iteration"] for r in reported],
            [r[column] for r in reported],
            "x",
            ms=9,
            mew=2,
            color="crimson",
            label="paper (printed)",
        )
        axis.set_yscale("log")
        axis.set_xlabel("iteration")
        axis.set_title(column.replace("_", " "))
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    with atomic_path(path) as tmp_path:
        figure.savefig(tmp_path, dpi=110)
    plt.close(figure)

"""The network's figures on the tiny trained network: every grid's layout and the degree table."""

from __future__ import annotations

import math
import os

import imageio.v3 as iio
import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.tools import network_figures
from tests.helpers import smooth_image

GAP = 6  # contact_sheet's


def _sheet(rows: int, columns: int, width: int = 32, height: int = 24) -> tuple[int, int, int]:
    return rows * height + (rows - 1) * GAP, columns * width + (columns - 1) * GAP, 3


@pytest.fixture(scope="module")
def figures(trained, tiny_vgg_path, tmp_path_factory):
    config, _ = trained
    folder = tmp_path_factory.mktemp("network_figures")
    photos = []
    for seed in (11, 12):
        photos.append(str(folder / f"photo{seed}.png"))
        io.save_image(photos[-1], smooth_image(40, 30, seed=seed))
    out = str(folder / "figures")
    result = network_figures.network_figures(
        config.output_dir, photos, None, out, 32, "float32", tiny_vgg_path
    )
    return result, photos


def _luminance(pixels: np.ndarray) -> np.ndarray:
    return np.asarray(pixels, np.float32).mean(axis=-1)


def test_every_figure_is_written_as_a_grid_of_32x24_panels(figures):
    result, photos = figures
    assert [os.path.basename(path) for path in result.figures] == list(network_figures.FIGURES)
    shapes = {os.path.basename(path): iio.imread(path).shape for path in result.figures}
    assert shapes == {
        "network_grid.jpg": _sheet(3, 3),  # header + two photos; photo, style 1, style 2
        "network_interpolation.jpg": _sheet(1, 7),  # style 1, five mixes, style 2
        "network_degree.jpg": _sheet(2, 5),  # identity slot over pixel blend, five degrees
        "network_colors.jpg": _sheet(2, 5),  # per style: photo, style, three colour modes
        "network_regions.jpg": _sheet(1, 5),  # photo, mask, style 1, style 2, regions
    }
    grid = iio.imread(result.figures[0]).astype(np.float32)
    assert grid[:24, :32].min() > 245  # the header's blank corner
    # Panels compared by luminance: JPEG at 32x24 moves it by about 3, chroma by more.
    photo = _luminance(io.resize(io.read_image(photos[0]), 32, 24))
    assert np.abs(_luminance(grid[24 + GAP : 48 + GAP, :32]) - photo).mean() < 6  # first photo
    degree = _luminance(iio.imread(result.figures[2]))
    for top in (0, 24 + GAP):  # degree 0 is the photo, both ways
        assert np.abs(degree[top : top + 24, :32] - photo).mean() < 6
    top, bottom = degree[:24, 4 * (32 + GAP) :], degree[24 + GAP :, 4 * (32 + GAP) :]
    assert np.abs(top - bottom).mean() < 6  # degree 1: the same image both ways ...
    assert np.abs(top - photo).mean() > 20  # ... and not the photo
    regions = iio.imread(result.figures[-1]).astype(np.float32)
    mask = regions[:, 32 + GAP : 64 + GAP].mean(axis=-1)
    assert mask[:, :14].min() > 230 and mask[:, 18:].max() < 25  # left half white


def test_the_degree_table_starts_at_the_photo_and_ends_at_the_full_style(figures):
    result, _ = figures
    rows = result.degrees
    assert [row.degree for row in rows] == list(network_figures.DEGREES)
    assert all(math.isfinite(v) for row in rows for v in (*row.identity_slot, *row.pixel_blend))
    # Degree 0 is the photo both ways (content cost 0), degree 1 the same stylized image.
    assert rows[0].identity_slot[0] == pytest.approx(0.0, abs=1e-9 * rows[-1].identity_slot[0])
    assert rows[0].identity_slot == rows[0].pixel_blend
    assert rows[-1].identity_slot == rows[-1].pixel_blend
    assert rows[-1].identity_slot[0] > 0
    # Between them the two ways give different images, and so different costs.
    assert rows[2].identity_slot != rows[2].pixel_blend
    assert result.markdown.count("\n| ") == 2 + len(rows)  # header, separator, a row each


def test_a_network_of_another_number_of_styles_is_one_line(trained, tmp_path):
    config, _ = trained
    with pytest.raises(UserError, match="two-style network"):
        network_figures.network_figures(
            config.output_dir, ["x.png"], ["a.png"], str(tmp_path), 32, "float32"
        )

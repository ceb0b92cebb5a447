"""scripts/controls_figure.py end to end on tiny images and weights, and its skip."""

from __future__ import annotations

import subprocess
import sys

import imageio.v3 as iio
import numpy as np

from nst_tf.images import io as images
from nst_tf.tools import controls
from tests.helpers import smooth_image


def _script(*flags):
    return subprocess.run(
        [sys.executable, "scripts/controls_figure.py", *flags],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_masks_split_sky_from_ground_softly():
    sky, ground = controls.sky_and_ground_masks(8, 20)
    assert sky.shape == (20, 8, 3) and sky.dtype == np.uint8
    assert sky[0].min() == 255 and sky[-1].max() == 0 and 0 < sky[12, 0, 0] < 255
    np.testing.assert_array_equal(sky.astype(int) + ground, 255)


def test_script_skips_without_the_papers_images(tmp_path):
    result = _script(f"--images_dir={tmp_path}", f"--figures_dir={tmp_path / 'figures'}")
    assert result.returncode == 0, result.stderr
    assert "controls_figure: skipped: louvre_small.jpg, monet.jpg, stone_style.jpg" in result.stdout
    assert not (tmp_path / "figures").exists()


def test_script_draws_every_figure(tmp_path, tiny_vgg_path):
    folder = tmp_path / "paper"
    folder.mkdir()
    for seed, name in enumerate(("louvre_small.jpg", "monet.jpg", "stone_style.jpg")):
        images.save_image(str(folder / name), smooth_image(32, 24, seed=seed + 1))
    result = _script(
        f"--images_dir={folder}",
        f"--output_dir={tmp_path / 'out'}",
        f"--figures_dir={tmp_path / 'figures'}",
        "--image_size=16",
        "--num_iterations=1",
        f"--vgg_path={tiny_vgg_path}",
    )
    assert result.returncode == 0, result.stderr
    assert "| all 16 runs |" in result.stdout
    gap = 8
    expected = {
        "controls_degree.jpg": (2 * 12 + 6, 5 * 16 + 4 * 6),  # contact sheet, 6-pixel gaps
        "controls_blend.jpg": (12, 7 * 16 + 6 * gap),
        "controls_colors.jpg": (12, 5 * 16 + 4 * gap),
        "controls_regions.jpg": (12, 5 * 16 + 4 * gap),
    }
    for name, shape in expected.items():
        assert iio.imread(tmp_path / "figures" / name).shape == (*shape, 3), name
    assert (tmp_path / "out" / "timings.md").read_text() in result.stdout

"""The small-images measurement (nst_tf/tools/small_images.py, layout.py) and its script."""

from __future__ import annotations

import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest

from nst_tf.images import io as images
from nst_tf.tools import layout, small_images
from tests.helpers import smooth_image


def _paper_folder(tmp_path):
    folder = tmp_path / "paper"
    folder.mkdir()
    for seed, name in enumerate((small_images.CONTENT, small_images.STYLE)):
        images.save_image(str(folder / name), smooth_image(32, 24, seed=seed + 1))
    return folder


def test_layout_ssim_is_one_for_the_content_and_falls_with_its_layout():
    content = smooth_image(64, 48, seed=1)
    assert layout.layout_ssim(content, content) == pytest.approx(1.0)
    assert layout.layout_ssim(images.resize(content, 128, 96), content) > 0.95  # any size
    shuffled = content[np.random.RandomState(0).permutation(48)]  # same pixels, rows moved
    assert layout.layout_ssim(shuffled, content) < 0.5


def test_bottom_centre_is_the_quarter_below_the_middle():
    image = np.arange(300 * 400).reshape(300, 400)
    np.testing.assert_array_equal(small_images.bottom_centre(image), image[150:, 100:300])


def test_measure_runs_every_route_the_fixes_and_the_crop(tmp_path, tiny_vgg_path):
    fixes = {16: {"Adam": {"alpha": 1e3}, "L-BFGS": {"alpha": 1e4}}}
    overrides = {"vgg_path": tiny_vgg_path, "num_iterations": 3}
    report = small_images.measure(str(_paper_folder(tmp_path)), (16,), fixes, overrides)
    assert [m.route for m in report.runs] == [
        "Adam", "Adam, alpha=0", "L-BFGS", "Adam + fix", "L-BFGS + fix"
    ]  # fmt: skip
    paper, no_content, lbfgs, fixed, lbfgs_fixed = report.runs
    assert fixed.size == (16, 12) and fixed.weights["content"] == 1e3
    assert lbfgs_fixed.settings == {"optimizer": "lbfgs", "num_iterations": 80, "alpha": 1e4}
    assert fixed.share(fixed.final) > paper.share(paper.final) > 0
    assert no_content.share(no_content.final) == 0
    assert paper.gradients.keys() == {"content", "style"} and not lbfgs.gradients
    assert all(0 < m.layout <= 1 for m in report.runs)
    assert list(report.crop) == [
        "16x12 crop, paper's settings",
        "16x12 paper's run, the same region",
    ]
    text = small_images.markdown(report)
    assert "| 16x12 | Adam + fix | alpha=1000 |" in text
    assert "| 16x12 | L-BFGS | optimizer=lbfgs, num_iterations=80 |" in text


def test_contact_sheet_has_a_row_per_size_and_blanks_where_no_fix_ran():
    def run(long_side, route, shade):
        size = (long_side, long_side * 3 // 4)
        image = np.full((size[1], size[0], 3), shade, np.uint8)
        return small_images.Measured(long_side, route, {}, size, {}, {}, {}, 0.5, 0, image, {})

    runs = [run(16, route, 10) for route in (*small_images.ROUTES, "Adam + fix", "L-BFGS + fix")]
    runs += [run(32, route, 20) for route in small_images.ROUTES]
    sheet = small_images.contact(runs, smooth_image(32, 24, seed=1))
    width, height = small_images.PANEL
    assert sheet.shape == (2 * height + 6, 6 * width + 5 * 6, 3)
    assert sheet[:height, -width:].max() == 10  # the fix at 16
    assert sheet[height + 6 :, -width:].min() == 255  # no fix at 32: a blank panel
    assert sheet[height + 6 :, width + 6 : 2 * width + 6].max() == 20


def test_script_skips_without_the_papers_images(tmp_path):
    result = subprocess.run(
        [sys.executable, "scripts/small_images.py", f"--images_dir={tmp_path}",
         f"--figure={tmp_path / 'sheet.jpg'}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "small_images: skipped: louvre_small.jpg, monet.jpg not in" in result.stdout
    assert not (tmp_path / "sheet.jpg").exists()


def test_script_writes_the_tables_and_the_sheet(tmp_path, tiny_vgg_path):
    figure = tmp_path / "figures" / "small_images.jpg"
    result = subprocess.run(
        [sys.executable, "scripts/small_images.py", f"--images_dir={_paper_folder(tmp_path)}",
         f"--output_dir={tmp_path / 'out'}", f"--figure={figure}", "--sizes=16",
         f"--vgg_path={tiny_vgg_path}"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "small_images.md").read_text() in result.stdout
    assert iio.imread(figure).shape == (small_images.PANEL[1], 6 * 240 + 5 * 6, 3)

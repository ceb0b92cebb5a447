"""Figure 6's script on the tiny net: the four methods per pair, the sheets, every energy."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.tools import figure6

# Li & Wand's pyramid and every size cut to the tiny net's; 3 iterations per scale.
TINY = dict(image_size=32, num_iterations=3)
TINY_METHODS = {"li_wand2016": {"scales": (24, 32), "mrf_rotations": 0, "mrf_scales": 0}}


def _sky_over_ground(path, width=20, height=15):
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 2] = (90, 140, 230)  # a blue sky over the top half
    pixels[height // 2 :] = (80, 70, 40)
    pixels[height // 2 :, ::3] = (120, 100, 60)
    iio.imwrite(path, pixels)


def test_figure6_runs_every_method_and_scores_each_result_by_each_energy(
    tiny_vgg_path, tmp_path, monkeypatch
):
    images = tmp_path / "images"
    images.mkdir()
    _sky_over_ground(images / "content.png")
    _sky_over_ground(images / "style.png", 16, 16)
    # No --vgg_path: the weights are found as nst-tf finds them, for the runs and the scoring.
    monkeypatch.setattr(figure6.locate, "resolve_vgg_path", lambda path: path or tiny_vgg_path)
    out = tmp_path / "out"
    results = figure6.figure6(
        str(images), str(out), [("content.png", "style.png")], TINY, TINY_METHODS
    )
    methods = [method for method, _ in figure6.METHODS]
    assert [r.method for r in results] == methods
    assert all(set(r.energies) == set(methods) for r in results)
    assert np.isfinite([list(r.energies.values()) for r in results]).all()
    by_method = {r.method: r for r in results}
    assert by_method["li_wand2016"].iterations == 6  # 3 at each of its two scales
    assert by_method["paper"].evaluations is None and by_method["gatys2016"].evaluations >= 1
    assert all(r.seconds > 0 and r.load_average >= 0 for r in results)
    assert iio.imread(out / "figure6.jpg").shape == (300, 6 * 400 + 5 * 6, 3)
    # The sky splits both images, so Luan et al. ran with segmentations, shown on their sheet.
    assert iio.imread(out / "figure6_segmentations.jpg").shape == (300, 4 * 400 + 3 * 6, 3)
    luan = json.loads((out / "content+style" / "luan2017" / "config.json").read_text())["config"]
    assert luan["content_segmentation"].endswith("content_segmentation.png")
    gatys = json.loads((out / "content+style" / "gatys2016" / "config.json").read_text())["config"]
    assert gatys["content_segmentation"] is None and gatys["optimizer"] == "lbfgs"
    assert len(json.loads((out / "figure6.json").read_text())) == 4
    table = (out / "figure6.md").read_text()
    assert "| Li & Wand 2016 | 6 (" in table and table.count("**") >= 2 * 4 + 2

    # Run again, every run is found completed in its folder: none is run, the figures stay.
    monkeypatch.setattr(figure6, "stylize", lambda config: pytest.fail("ran again"))
    again = figure6.figure6(
        str(images), str(out), [("content.png", "style.png")], TINY, TINY_METHODS
    )
    assert again == results


def test_figure6_names_a_missing_image_and_an_unknown_method(tmp_path):
    with pytest.raises(UserError, match=r"missing\.jpg not found"):
        figure6.figure6(str(tmp_path), str(tmp_path / "out"), [("missing.jpg", "x.jpg")])
    with pytest.raises(UserError, match="unknown method nosuch: choose from gatys2016"):
        figure6.figure6(str(tmp_path), str(tmp_path / "out"), [], methods=("nosuch",))

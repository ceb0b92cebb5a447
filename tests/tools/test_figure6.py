"""Figure 6's script on the tiny net: both methods per pair, one sheet, costs and wall times."""

from __future__ import annotations

import json
import os

import imageio.v3 as iio
import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.tools import figure6


def test_figure6_runs_both_methods_and_writes_sheet_and_tables(
    tiny_vgg_path, tiny_images, tmp_path
):
    folder, content = os.path.split(tiny_images[0])
    style = os.path.basename(tiny_images[1])
    overrides = dict(vgg_path=tiny_vgg_path, width=16, height=12, num_iterations=3)
    results = figure6.figure6(folder, str(tmp_path), [(content, style)], overrides)
    assert [r.method for r in results] == ["gatys2016", "paper"]
    gatys, paper = results
    assert gatys.evaluations >= 3 and paper.evaluations is None
    assert np.isfinite([r.paper_total_cost for r in results]).all()
    assert all(r.seconds > 0 and r.iterations == 3 for r in results)
    assert iio.imread(tmp_path / "figure6.jpg").shape == (300, 4 * 400 + 3 * 6, 3)
    assert len(json.loads((tmp_path / "figure6.json").read_text())) == 2
    table = (tmp_path / "figure6.md").read_text()
    assert "Gatys et al. 2016" in table and "this paper" in table
    record = json.loads((tmp_path / "content+style" / "gatys2016" / "config.json").read_text())
    assert record["config"]["optimizer"] == "lbfgs"
    assert record["config"]["content_normalization"] == "gatys2016"


def test_figure6_names_a_missing_image(tmp_path):
    with pytest.raises(UserError, match=r"missing\.jpg not found"):
        figure6.figure6(str(tmp_path), str(tmp_path / "out"), [("missing.jpg", "x.jpg")])

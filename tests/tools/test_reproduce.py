"""scripts/reproduce_paper.py end to end on tiny images and weights made here."""

from __future__ import annotations

import json
import subprocess
import sys

import imageio.v3 as iio
import pytest

from nst_tf.images import io as images
from nst_tf.outputs.writers import read_trace
from nst_tf.tools import reproduce
from nst_tf.tools.compare import COST_COLUMNS
from tests.helpers import smooth_image


@pytest.fixture(scope="module")
def paper_named_images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paper_images")
    images.save_image(str(folder / "louvre_small.jpg"), smooth_image(40, 30, seed=2))
    images.save_image(str(folder / "monet.jpg"), smooth_image(40, 30, seed=5))
    return folder


def test_reported_trace_is_the_papers_printout():
    rows = reproduce.reported_trace()
    assert [row["iteration"] for row in rows] == [0, 20, 40, 60]
    assert rows[0]["total_cost"] == 5.04752e09 and rows[3]["style_cost"] == 7.75183e06
    for row in rows:  # the printed totals obey eq. 4 with alpha=10, beta=40
        total = 10 * row["content_cost"] + 40 * row["style_cost"]
        assert total == pytest.approx(row["total_cost"], rel=1e-5)


@pytest.fixture(scope="module")
def reproduced(paper_named_images, tiny_vgg_path, tmp_path_factory):
    """The output folder of one tiny reproduction run, shared by the tests that read it."""
    out = tmp_path_factory.mktemp("reproduced")
    result = subprocess.run(
        [
            sys.executable,
            "scripts/reproduce_paper.py",
            f"--images_dir={paper_named_images}",
            f"--output_dir={out}",
            "--num_iterations=41",
            f"--vgg_path={tiny_vgg_path}",
            "--width=40",
            "--height=30",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out, result


def test_script_writes_table_and_figures(reproduced):
    out, result = reproduced
    assert "| iteration | total (ours) |" in result.stdout
    for name in (
        "comparison.md",
        "comparison.json",
        "figure4_initial.png",
        "figure5.png",
        "intermediates.png",
        "trace.csv",
    ):
        assert (out / name).is_file(), name
    # Figure 5 is content | style | generated with 8-pixel gaps.
    assert iio.imread(out / "figure5.png").shape == (30, 3 * 40 + 2 * 8, 3)
    # 41 iterations saved at 0, 20, 40: one row of five cells, three filled.
    assert iio.imread(out / "intermediates.png").shape == (30, 5 * 40 + 4 * 6, 3)

    table = json.loads((out / "comparison.json").read_text())["rows"]
    assert [row["iteration"] for row in table] == [0, 20, 40]  # 60 was not reached
    ours = {row["iteration"]: row for row in read_trace(str(out / "trace.csv"))}
    paper = {row["iteration"]: row for row in reproduce.reported_trace()}
    for row in table:
        i = row["iteration"]
        for column in COST_COLUMNS:
            expected = (ours[i][column] - paper[i][column]) / paper[i][column]
            assert row[f"{column}_deviation"] == pytest.approx(expected, rel=1e-9)
    assert (out / "comparison.md").read_text().count("\n") == 2 + 3


def test_script_plots_the_cost_trace_with_the_plots_extra(reproduced):
    pytest.importorskip(
        "matplotlib", reason="matplotlib (the optional plots extra) is absent: no cost_trace.png"
    )
    out, _ = reproduced
    assert iio.imread(out / "cost_trace.png").ndim == 3


def test_missing_images_dir_is_one_line_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "scripts/reproduce_paper.py", f"--images_dir={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "louvre_small.jpg not found" in result.stderr.strip().splitlines()[-1]

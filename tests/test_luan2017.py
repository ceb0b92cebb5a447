"""Luan et al. 2017 end to end: configs/luan2017.py with segmentations, in nst-tf and
nst-tf-batch, its flags, --scales, and bad segmentation input in one line."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from nst_tf import stylize
from nst_tf.batch import runner
from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.images.io import save_image
from nst_tf.images.segmentation import COLORS
from tests.helpers import paper_config, run_cli


def _segmentation(path, top: str, bottom: str, shape=(30, 40)) -> str:
    pixels = np.empty((*shape, 3), np.uint8)
    pixels[: shape[0] // 3] = COLORS[top]
    pixels[shape[0] // 3 :] = COLORS[bottom]
    save_image(str(path), pixels)
    return str(path)


@pytest.fixture
def segmentations(tmp_path):
    return (
        _segmentation(tmp_path / "content_seg.png", "blue", "white"),
        _segmentation(tmp_path / "style_seg.png", "blue", "white"),
    )


def _flags(tiny_vgg_path, tiny_images, segmentations, out):
    content, style = tiny_images
    return [
        "--config=luan2017",
        f"--content={content}",
        f"--style={style}",
        f"--content_segmentation={segmentations[0]}",
        f"--style_segmentation={segmentations[1]}",
        f"--vgg_path={tiny_vgg_path}",
        f"--output_dir={out}",
        "--image_size=20",
        "--num_iterations=3",
        "--log_every=1",
        "--notensorboard",
    ]


def test_luan2017_runs_with_segmentations_and_traces_every_term(
    tiny_vgg_path, tiny_images, segmentations, tmp_path
):
    out = tmp_path / "out"
    result = run_cli(*_flags(tiny_vgg_path, tiny_images, segmentations, out), cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Matting Laplacian of the 20x15 content" in result.stderr
    assert "Smoothed local affine post-process in" in result.stderr
    with open(out / "trace.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3
    for name in ("style/conv5_1", "tv", "photorealism", "evaluations"):
        assert name in rows[0], name
    assert all(float(row["photorealism"]) >= 0 for row in rows)


def test_luan2017_flags_are_in_helpfull():
    result = run_cli("--helpfull")
    for flag in ("photorealism_weight", "content_segmentation", "style_segmentation"):
        assert f"--{flag}:" in result.stdout, flag
    assert "--[no]smooth_local_affine:" in result.stdout


def test_nst_tf_batch_runs_luan2017_jobs_one_at_a_time(
    tiny_vgg_path, tiny_images, segmentations, tmp_path
):
    content, style = tiny_images
    flags = _flags(tiny_vgg_path, tiny_images, segmentations, tmp_path / "out")
    flags = [flag for flag in flags if not flag.startswith(("--content=", "--style="))]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nst_tf.batch_cli",
            f"--contents={content}",
            f"--styles={style}",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "lbfgs" in result.stderr  # why the job runs alone: L-BFGS, then the two terms
    with open(tmp_path / "out" / "summary.csv", newline="") as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["completed"]


def test_the_post_process_runs_jobs_through_nst_tfs_own_run():
    assert "--smooth_local_affine" in runner.why_not_batched(paper_config(smooth_local_affine=True))


def test_segmentations_follow_a_scales_run(tiny_vgg_path, tiny_images, segmentations, tmp_path):
    content, style = tiny_images
    config = make_config(
        load_config_table("luan2017"),
        dict(
            content=content,
            style=style,
            content_segmentation=segmentations[0],
            style_segmentation=segmentations[1],
            vgg_path=tiny_vgg_path,
            output_dir=str(tmp_path),
            scales=(12, 24),
            scale_iterations=(1, 1),
            tensorboard=False,
        ),
    )
    assert stylize.stylize(config).image.shape == (18, 24, 3)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (dict(content_segmentation="c.png"), "--content_segmentation needs the other image's"),
        (dict(style_segmentation="s.png"), "--style_segmentation needs the other image's"),
        (
            dict(content_segmentation="c.png", style_segmentation="s.png", style="a.jpg,b.jpg"),
            "match the regions of one --style image",
        ),
        (dict(photorealism_weight=-1.0), "--photorealism_weight must be zero or positive"),
    ],
)
def test_bad_settings_are_refused_in_one_line(overrides, expected):
    with pytest.raises(UserError) as info:
        paper_config(**overrides)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_an_orphan_class_ends_the_run_in_one_line(tiny_vgg_path, tiny_images, tmp_path):
    segmentations = (
        _segmentation(tmp_path / "c.png", "blue", "red"),
        _segmentation(tmp_path / "s.png", "blue", "white"),
    )
    flags = _flags(tiny_vgg_path, tiny_images, segmentations, tmp_path / "out")
    result = run_cli(*flags, cwd=str(tmp_path))
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("nst-tf: error: --content_segmentation ")
    assert "has class red that --style_segmentation" in last_line

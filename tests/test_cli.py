"""The `nst-tf` command end to end on 40x30 images, and its one-line errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import imageio.v3 as iio
import pytest


def run_cli(*flags: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nst_tf.cli", *flags],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_end_to_end_run_writes_trace_images_and_paper_log_lines(
    tiny_vgg_path, tiny_images, tmp_path
):
    content, style = tiny_images
    out = tmp_path / "out"
    flagfile = tmp_path / "run.flags"
    flagfile.write_text(f"--style={style}\n--vgg_path={tiny_vgg_path}\n--width=40\n--height=30\n")
    result = run_cli(
        f"--flagfile={flagfile}",
        f"--content={content}",
        f"--output_dir={out}",
        "--num_iterations=5",
        "--log_every=2",
        "--save_every=2",
    )
    assert result.returncode == 0, result.stderr
    log = result.stderr
    for iteration in (0, 2, 4):
        assert f"Iteration {iteration} :" in log
    assert log.count("total cost = ") == 3
    assert log.count("content cost = ") == 3 and log.count("style cost = ") == 3

    with open(out / "trace.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["iteration", "total_cost", "content_cost", "style_cost", "seconds"]
    assert [int(row["iteration"]) for row in rows] == [0, 2, 4]
    for row in rows:  # eq. 4 with the paper's alpha=10, beta=40
        total = 10 * float(row["content_cost"]) + 40 * float(row["style_cost"])
        assert float(row["total_cost"]) == pytest.approx(total, rel=1e-5)
    assert float(rows[-1]["style_cost"]) < float(rows[0]["style_cost"])

    for name in ("initial.png", "0.png", "2.png", "4.png", "generated_image.jpg"):
        pixels = iio.imread(out / name)
        assert pixels.shape == (30, 40, 3) and pixels.dtype.name == "uint8", name
    assert not (out / "1.png").exists()
    assert iio.imread(out / "side_by_side.png").shape == (30, 3 * 40 + 2 * 8, 3)
    record = json.loads((out / "config.json").read_text())
    assert record["status"] == "completed" and record["completed_iterations"] == 5
    assert record["config"]["alpha"] == 10.0 and record["config"]["content_layer"] == "conv4_2"
    assert "tensorflow" in record["versions"]
    assert not [name for name in os.listdir(out) if ".tmp" in name]


def test_helpfull_documents_every_flag():
    result = run_cli("--helpfull")  # absl exits 1 after printing help
    assert "Premamayudu" not in result.stderr and "Traceback" not in result.stderr
    for flag in (
        "content",
        "style",
        "output_dir",
        "config",
        "vgg_path",
        "num_iterations",
        "learning_rate",
        "alpha",
        "beta",
        "noise_ratio",
        "seed",
        "content_layer",
        "style_layers",
        "pooling",
        "width",
        "height",
        "log_every",
        "save_every",
        "precision",
        "flagfile",
    ):
        assert f"--{flag}:" in result.stdout, flag
    assert "--[no]jit:" in result.stdout


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--content=does-not-exist.png"], "does-not-exist.png"),
        (["--num_iterations=0"], "--num_iterations must be a positive integer"),
        (["--style_layers=conv9_1:1.0"], "unknown VGG-19 layer conv9_1"),
        (["--vgg_path=missing.mat"], "`nst-tf-fetch --out=missing.mat` (it writes missing.mat)"),
        (["--width=40000", "--height=30000"], "is available; try --width="),
    ],
)
def test_bad_input_ends_with_one_line_and_nonzero_status(
    flags, expected, tiny_vgg_path, tiny_images, tmp_path
):
    content, style = tiny_images
    base = [
        f"--content={content}",
        f"--style={style}",
        f"--vgg_path={tiny_vgg_path}",
        f"--output_dir={tmp_path / 'out'}",
        "--width=40",
        "--height=30",
    ]
    result = run_cli(*base, *flags, cwd=str(tmp_path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("nst-tf: error: ") and expected in last_line


def test_console_script_help_lists_the_flags():
    script = os.path.join(os.path.dirname(sys.executable), "nst-tf")
    if not os.path.exists(script):
        pytest.skip(f"{script} is not installed: `pip install -e .` provides it")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=120)
    assert "--content: Content image" in result.stdout
    assert "--style_layers:" in result.stdout and "--[no]jit:" in result.stdout

"""The `nst-tf` command end to end on 40x30 images, and its one-line errors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import imageio.v3 as iio
import pytest

from tests.helpers import run_cli


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
    layers = [f"style/conv{block}_1" for block in range(1, 6)]
    assert list(rows[0]) == [
        "iteration",
        "total_cost",
        "content_cost",
        "style_cost",
        *layers,
        "seconds",
    ]
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
    assert record["config"]["alpha"] == 10.0
    assert record["config"]["content_layer"] == [["conv4_2", 1.0]]
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
        "checkpoint_every",
        "keep_checkpoints",
        "means",
        "noise_range",
        "flagfile",
        "verbosity",
    ):
        assert f"--{flag}:" in result.stdout, flag
    for boolean in ("jit", "resume", "tensorboard", "version"):
        assert f"--[no]{boolean}:" in result.stdout, boolean


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--content=does-not-exist.png"], "does-not-exist.png"),
        (["--num_iterations=0"], "--num_iterations must be a positive integer"),
        (["--style_layers=conv9_1:1.0"], "unknown VGG-19 layer conv9_1"),
        (["--vgg_path=missing.mat"], "`nst-tf-fetch --out=missing.mat` (it writes missing.mat)"),
        (["--learning_rate=nan"], "--learning_rate must be a finite number"),
        (["--alpha=nan"], "--alpha must be a finite number"),
        (["--beta=inf"], "--beta must be a finite number"),
        (["--learning_rate=1e30"], "cost became non-finite at iteration"),
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


def _base_flags(tiny_vgg_path, tiny_images, out, iterations):
    content, style = tiny_images
    return [
        f"--content={content}",
        f"--style={style}",
        f"--vgg_path={tiny_vgg_path}",
        f"--output_dir={out}",
        "--width=40",
        "--height=30",
        f"--num_iterations={iterations}",
        "--log_every=1",
        "--checkpoint_every=5",
    ]


def _costs(path):
    with open(path, newline="") as handle:
        return [
            (int(row["iteration"]), float(row["total_cost"]), float(row["style_cost"]))
            for row in csv.DictReader(handle)
        ]


def _wait_for(predicate, process, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _start(flags):
    return subprocess.Popen(
        [sys.executable, "-m", "nst_tf.cli", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _checkpoints(out):
    folder = out / "checkpoints"
    return [n for n in os.listdir(folder) if n.endswith(".index")] if folder.is_dir() else []


@pytest.mark.parametrize("signal_to_send, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_checkpoints_writes_outputs_and_says_how_to_resume(
    signal_to_send, code, tiny_vgg_path, tiny_images, tmp_path
):
    out = tmp_path / "out"
    process = _start(_base_flags(tiny_vgg_path, tiny_images, out, 100000))
    _wait_for(lambda: _checkpoints(out), process)
    process.send_signal(signal_to_send)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("nst-tf: stopped by SIG") and "--resume" in last
    assert "Traceback" not in stderr
    record = json.loads((out / "config.json").read_text())
    assert record["status"] == "interrupted" and record["completed_iterations"] > 0
    assert iio.imread(out / "generated_image.jpg").shape == (30, 40, 3)
    assert not [name for name in os.listdir(out) if ".tmp" in name]


def test_resume_after_kill_9_matches_an_uninterrupted_run(tiny_vgg_path, tiny_images, tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert run_cli(*_base_flags(tiny_vgg_path, tiny_images, whole, 40)).returncode == 0
    flags = _base_flags(tiny_vgg_path, tiny_images, killed, 40)
    process = _start(flags)
    _wait_for(lambda: len(_checkpoints(killed)) >= 2, process)
    process.kill()  # SIGKILL: no handler runs
    process.communicate(timeout=60)
    resumed = run_cli(*flags, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    ours, reference = _costs(killed / "trace.csv"), _costs(whole / "trace.csv")
    assert [row[0] for row in ours] == list(range(40))  # rows after the checkpoint replaced
    for (_, total, style), (_, total_ref, style_ref) in zip(ours, reference, strict=True):
        assert total == pytest.approx(total_ref, rel=1e-6)
        assert style == pytest.approx(style_ref, rel=1e-6)
    refused = run_cli(*flags, "--resume", "--seed=5")
    assert refused.returncode == 1
    assert "seed: 0 -> 5" in refused.stderr.strip().splitlines()[-1]


def test_tensorboard_events_hold_every_logged_term(tiny_vgg_path, tiny_images, tmp_path):
    import tensorflow as tf

    out = tmp_path / "out"
    result = run_cli(*_base_flags(tiny_vgg_path, tiny_images, out, 3), "--save_every=2")
    assert result.returncode == 0, result.stderr
    scalars, images = {}, set()
    for path in (out / "tensorboard").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "images":
                    images.add((value.tag, event.step))
                else:
                    scalars.setdefault(value.tag, []).append(event.step)
    assert scalars["total"] == scalars["content"] == scalars["style/conv5_1"] == [0, 1, 2]
    assert images == {("generated", 0), ("generated", 2)}
    off = run_cli(*_base_flags(tiny_vgg_path, tiny_images, tmp_path / "off", 1), "--notensorboard")
    assert off.returncode == 0 and not (tmp_path / "off" / "tensorboard").exists()


def test_quiet_start_and_version(tiny_vgg_path, tiny_images, tmp_path):
    result = run_cli(*_base_flags(tiny_vgg_path, tiny_images, tmp_path / "out", 1))
    assert result.returncode == 0, result.stderr
    for noise in ("oneDNN", "cuInit", "cuda drivers", "absl::InitializeLog", "Sharding"):
        assert noise not in result.stderr, noise
    assert "Iteration 0 :" in result.stderr
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("nst-tf ")

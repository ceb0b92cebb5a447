"""The `nst-tf-batch` command end to end: outputs, summary, bad files, SIGTERM and resume."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time

from nst_tf.images.io import save_image
from tests.helpers import smooth_image


def _folders(tmp_path):
    os.makedirs(tmp_path / "photos")
    for seed in (1, 2):
        save_image(str(tmp_path / "photos" / f"p{seed}.png"), smooth_image(40, 30, seed=seed))
    save_image(str(tmp_path / "style.jpg"), smooth_image(40, 30, seed=7))
    return str(tmp_path / "photos"), str(tmp_path / "style.jpg")


def _flags(tiny_vgg_path, contents, style, out, iterations):
    return [
        f"--contents={contents}",
        f"--styles={style}",
        f"--vgg_path={tiny_vgg_path}",
        f"--output_dir={out}",
        "--width=40",
        "--height=30",
        f"--num_iterations={iterations}",
        "--checkpoint_every=2",
        "--notensorboard",
    ]


def _command(*flags):
    return [sys.executable, "-m", "nst_tf.batch_cli", *flags]


def test_batch_writes_each_job_and_a_summary_and_reports_bad_files(tiny_vgg_path, tmp_path):
    contents, style = _folders(tmp_path)
    (tmp_path / "photos" / "readme.txt").write_text("not an image")
    out = tmp_path / "out"
    result = subprocess.run(
        _command(*_flags(tiny_vgg_path, contents, style, out, 3)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr  # one job failed, the others ran
    assert "Traceback" not in result.stderr
    with open(out / "summary.csv", newline="") as handle:
        rows = {row["job"]: row for row in csv.DictReader(handle)}
    assert [(job, row["status"]) for job, row in rows.items()] == [
        ("p1__style", "completed"),
        ("p2__style", "completed"),
        ("readme__style", "failed"),
    ]
    assert "readme.txt could not be read as an image" in rows["readme__style"]["note"]
    assert float(rows["p1__style"]["total_cost"]) > 0
    assert re.search(r"^p1__style +completed +3 ", result.stdout, re.MULTILINE)  # the table
    assert "jobs 3/3 done" in result.stderr  # the progress line
    for job in ("p1__style", "p2__style"):
        assert {"trace.csv", "generated_image.jpg", "config.json"} <= set(os.listdir(out / job))

    refused = subprocess.run(
        _command(f"--content={contents}", f"--styles={style}"), capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith("nst-tf-batch: error: ")
    assert "--contents and --styles" in refused.stderr


def test_sigterm_checkpoints_running_jobs_and_the_same_command_resumes(tiny_vgg_path, tmp_path):
    contents, style = _folders(tmp_path)
    out = tmp_path / "out"
    flags = [*_flags(tiny_vgg_path, contents, style, out, 60), "--batch_size=2"]  # both running
    process = subprocess.Popen(
        _command(*flags), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    index = out / "p2__style" / "checkpoints" / "checkpoint"
    deadline = time.monotonic() + 120
    while not index.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr
    assert "run the same command again to resume" in stderr.strip().splitlines()[-1]
    for job in ("p1__style", "p2__style"):
        record = json.loads((out / job / "config.json").read_text())
        assert record["status"] == "interrupted" and 0 < record["completed_iterations"] < 60
    assert "interrupted" in stdout

    resumed = subprocess.run(_command(*flags), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    for job in ("p1__style", "p2__style"):
        record = json.loads((out / job / "config.json").read_text())
        assert record["status"] == "completed" and record["completed_iterations"] == 60
        with open(out / job / "trace.csv", newline="") as handle:
            iterations = [int(row["iteration"]) for row in csv.DictReader(handle)]
        assert iterations == list(range(0, 60, 20))


def test_version_prints_and_resume_is_refused_with_the_way_to_resume():
    version = subprocess.run(_command("--version"), capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and re.fullmatch(r"nst-tf-batch \S+\n", version.stdout)
    resume = subprocess.run(
        _command("--resume", "--contents=a", "--styles=b"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resume.returncode == 1
    assert resume.stderr.strip().splitlines()[-1] == (
        "nst-tf-batch: error: nst-tf-batch resumes by itself: run the same command again, "
        "without --resume"
    )

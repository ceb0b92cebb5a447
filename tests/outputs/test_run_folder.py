"""The run folder: plans (start, resume, skip, refuse) and damaged state met on a resume.

A truncated checkpoint falls back to the previous intact one with a warning, and the resumed
trace is still the uninterrupted run's; with none intact, or a damaged config.json, the run
ends in one line naming the file and how to start afresh.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from nst_tf import stylize
from nst_tf.errors import UserError
from nst_tf.outputs.run_folder import RunFolder, differences
from nst_tf.outputs.writers import read_trace
from tests.helpers import run_cli, tiny_config

COSTS = ("total_cost", "content_cost", "style_cost")


def _costs(rows):
    return np.array([[row[name] for name in COSTS] for row in rows])


def _truncate(path: str) -> None:
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data[: len(data) // 2])


def _checkpoint_data(folder, updates: int) -> str:
    (name,) = [
        n for n in os.listdir(folder / "checkpoints") if n.startswith(f"ckpt-{updates}.data")
    ]
    return str(folder / "checkpoints" / name)


def test_a_truncated_checkpoint_falls_back_to_the_previous_intact_one(
    tiny_vgg_path, tiny_images, tmp_path, caplog
):
    settings = dict(num_iterations=8, checkpoint_every=2, keep_checkpoints=3)
    whole = stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "a", **settings))
    folder = tmp_path / "b"
    config = tiny_config(tiny_vgg_path, tiny_images, folder, **{**settings, "num_iterations": 6})
    stylize.stylize(config)  # checkpoints at 4 and 6 (and 2)
    _truncate(_checkpoint_data(folder, 6))
    longer = tiny_config(tiny_vgg_path, tiny_images, folder, **settings)
    with caplog.at_level("WARNING"):
        resumed = stylize.stylize(longer, resume=True)
    assert "ckpt-6 is damaged" in caplog.text and "using the previous one" in caplog.text
    np.testing.assert_allclose(_costs(resumed.trace), _costs(whole.trace), rtol=1e-6)
    assert [row["iteration"] for row in read_trace(str(folder / "trace.csv"))] == list(range(8))


def test_no_intact_checkpoint_or_a_damaged_config_is_one_line(tiny_vgg_path, tiny_images, tmp_path):
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=2)
    stylize.stylize(config)
    for name in os.listdir(tmp_path / "checkpoints"):
        if ".data" in name:
            _truncate(str(tmp_path / "checkpoints" / name))
    with pytest.raises(UserError, match="holds no intact checkpoint; run without --resume"):
        stylize.stylize(config, resume=True)
    (tmp_path / "config.json").write_text('{"status": "runn')  # cut short by a full disk
    result = run_cli(
        f"--content={tiny_images[0]}", f"--style={tiny_images[1]}", f"--vgg_path={tiny_vgg_path}",
        f"--output_dir={tmp_path}", "--width=40", "--height=30", "--num_iterations=2", "--resume",
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and "config.json is damaged" in lines[0]
        and "Traceback" not in result.stderr
    )


def test_plans_start_resume_skip_and_refuse(tiny_vgg_path, tiny_images, tmp_path):
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=2)
    folder = RunFolder(str(tmp_path), config.to_dict())
    assert folder.plan(2, "auto").action == "start"  # nothing there yet
    stylize.stylize(config)
    assert folder.plan(2, "auto").action == "skip"
    assert folder.plan(2, "never").action == "start"  # nst-tf without --resume: afresh
    resumed = folder.plan(3, "always")
    assert (resumed.action, resumed.start) == ("resume", 2) and resumed.checkpoint.endswith("-2")
    other = RunFolder(str(tmp_path), {**config.to_dict(), "seed": 5})
    refused = other.plan(2, "auto")
    assert refused.action == "refuse" and "seed: 0 -> 5" in refused.note
    with pytest.raises(UserError, match=r"cannot resume .* \(seed: 0 -> 5\)"):
        other.plan(2, "always")
    record = json.loads((tmp_path / "config.json").read_text())
    assert set(record) == {
        "status", "completed_iterations", "wall_seconds", "config", "weights", "precision",
        "versions",
    }  # fmt: skip


def test_differences_name_each_changed_setting():
    saved = {"alpha": 10.0, "style_layers": [["conv1_1", 1.0]], "seed": 0}
    now = {"alpha": 5.0, "style_layers": (("conv1_1", 1.0),), "seed": 0, "tv_weight": 0.0}
    assert differences(saved, now) == ["alpha: 10.0 -> 5.0", "tv_weight: None -> 0.0"]
    assert differences(saved, now, allowed=("alpha", "tv_weight")) == []
    # A run from before tv_weight existed used the paper's value: resumable, not "None -> 0.0".
    assert differences(saved, now, allowed=("alpha",), defaults={"tv_weight": 0.0}) == []
    assert differences(saved, {**now, "tv_weight": 1.0}, ("alpha",), {"tv_weight": 0.0}) == [
        "tv_weight: 0.0 -> 1.0"
    ]

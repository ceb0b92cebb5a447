"""Two logical CPU devices under MirroredStrategy: each job's trace equals its single run.

Logical devices must be made before TensorFlow initialises, so the batch runs in a subprocess.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np

from nst_tf import stylize
from nst_tf.images.io import save_image
from nst_tf.outputs.writers import read_trace
from tests.helpers import smooth_image, tiny_config

_SCRIPT = """
import json, sys
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from nst_tf.batch import jobs, runner
from nst_tf.runtime import distribute
from tests.helpers import tiny_config

weights, contents, style, out = sys.argv[1:]
config = tiny_config(weights, (None, None), out, num_iterations=6)
strategy = distribute.make_strategy("mirrored")
found = jobs.discover(contents, style, None, out)
outcome = runner.run_batch(config, found, 1, strategy)
devices = [device for _, device in runner.local_replicas(strategy)]
print(json.dumps({"devices": devices, "statuses": [r.status for r in outcome.results]}))
"""

COSTS = ("total_cost", "content_cost", "style_cost")


def test_two_logical_devices_give_each_job_its_single_run(tiny_vgg_path, tmp_path):
    os.makedirs(tmp_path / "contents")
    for seed in (1, 2, 3):  # 3 jobs on 2 replicas: shares of 2 and 1 (padded)
        save_image(str(tmp_path / "contents" / f"c{seed}.png"), smooth_image(40, 30, seed=seed))
    style = str(tmp_path / "s.png")
    save_image(style, smooth_image(40, 30, seed=9))
    out = tmp_path / "out"
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, tiny_vgg_path, str(tmp_path / "contents"), style, str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert [d.rsplit(":", 2)[-2:] for d in report["devices"]] == [["CPU", "0"], ["CPU", "1"]]
    assert report["statuses"] == ["completed"] * 3
    config = tiny_config(tiny_vgg_path, (None, None), tmp_path, num_iterations=6)
    for seed in (1, 2, 3):
        single = stylize.stylize(
            dataclasses.replace(
                config,
                content=str(tmp_path / "contents" / f"c{seed}.png"),
                style=style,
                output_dir=str(tmp_path / f"single{seed}"),
            )
        )
        ours = read_trace(str(out / f"c{seed}__s" / "trace.csv"))
        np.testing.assert_allclose(
            [[row[c] for c in COSTS] for row in ours],
            [[row[c] for c in COSTS] for row in single.trace],
            rtol=1e-4,
        )

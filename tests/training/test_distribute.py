"""Training under tf.distribute: two logical CPU devices (MirroredStrategy) and two worker
processes on 127.0.0.1 (MultiWorkerMirroredStrategy, TF_CONFIG) log the losses one device logs.

Each replica takes half of every batch and the gradients are all-reduced, so the update is the
one-device update up to the order of float additions. Logical devices and collective ops must
be set up before TensorFlow starts, so the runs are subprocesses.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np

from nst_tf.outputs.writers import read_trace

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
COSTS = ("total_cost", "content_cost", "style_cost", "tv")

_MIRRORED = """
import json, sys
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from nst_tf.runtime.distribute import make_strategy
from nst_tf.training.run import train
from tests.helpers import tiny_network_config

weights, styles, photos, out = sys.argv[1:]
strategy = make_strategy("mirrored")
result = train(tiny_network_config(weights, styles, photos, out), strategy)
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "trace": result.trace}))
"""


def _costs(trace):
    return [[row[c] for c in COSTS] for row in trace]


def test_two_logical_devices_log_the_one_device_losses(trained, tmp_path):
    config, result = trained
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            _MIRRORED,
            config.vgg_path,
            config.styles,
            config.train_images,
            str(tmp_path / "mirrored"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    np.testing.assert_allclose(_costs(report["trace"]), _costs(result.trace), rtol=1e-4)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_two_worker_processes_log_the_one_device_losses(trained, tmp_path):
    config, result = trained
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    out = tmp_path / "workers"
    flags = [
        "--distribute=multi_worker",
        f"--styles={config.styles}",
        f"--train_images={config.train_images}",
        f"--vgg_path={config.vgg_path}",
        f"--output_dir={out}",
        "--image_size=24",
        "--photo_size=32",
        "--style_size=32",
        "--batch_size=2",
        "--num_steps=4",
        "--width=0.125",
        "--log_every=1",
        "--preview_every=2",
        "--checkpoint_every=2",
        "--notensorboard",
        "--precision=float32",
    ]
    workers = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "nst_tf.train_cli", *flags],
                env={**os.environ, "TF_CONFIG": tf_config},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
        )
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr[-3000:]
    trace = read_trace(str(out / "trace.csv"))
    np.testing.assert_allclose(_costs(trace), _costs(result.trace), rtol=1e-4)
    assert sorted(os.listdir(out)) == [
        "checkpoints",
        "config.json",
        "preview.png",
        "saved_model",
        "trace.csv",
    ]

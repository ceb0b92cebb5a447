"""The batched step of nst-tf-batch at N images per step against N = 1, alternating in one process.

On a GPU a step of one 400x300 image leaves the device mostly idle, so the images per second
should grow with N until it is full; on a 2-core CPU one image already fills the cores. The
report gives, per N, the step time, the time per image-step, images per hour at the paper's
200 iterations (optimisation only; start-up is extra) and the share of the measured conv peak.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from nst_tf.model import vgg
from nst_tf.tools import benchmark


def batched_step(width: int, height: int, images: int, objective) -> Callable[[], float]:
    """nst-tf-batch's step for `images` jobs of random pictures on one device."""
    import tensorflow as tf

    from nst_tf.batch.batched import BatchedAdam
    from nst_tf.build import Inputs, prepare_job
    from nst_tf.config import load_config_table, make_config

    config = make_config(load_config_table("paper"), dict(width=width, height=height))
    strategy = tf.distribute.OneDeviceStrategy(
        "/gpu:0" if tf.config.list_logical_devices("GPU") else "/cpu:0"
    )
    rng = np.random.RandomState(1)
    optimizer = BatchedAdam(strategy, objective, (1, height, width, 3), images, 2.0)
    targets = []
    for slot, seed in zip(optimizer.load([images]), range(images), strict=True):
        content, style = (rng.randint(0, 256, (height, width, 3), dtype=np.uint8) for _ in "cs")
        job = dataclasses.replace(config, seed=seed)
        job_targets, start = prepare_job(job, Inputs(content, (style,)), objective)
        slot.reset(start)
        targets.append(job_targets)
    stacked = optimizer.targets([targets])
    return lambda: float(tf.reduce_sum(optimizer.step(stacked)["total"]))


def run(width: int, height: int, batch_sizes: Sequence[int], repeats: int) -> None:
    """Times each N alternately and prints one line per N."""
    from nst_tf.build import make_objective
    from nst_tf.config import load_config_table, make_config

    config = make_config(load_config_table("paper"))
    objective = make_objective(config, vgg.random_weights(), "float32")
    steps = {n: batched_step(width, height, n, objective) for n in batch_sizes}
    timings = benchmark.time_alternating(steps, repeats)
    peak = benchmark.conv_peak_gflops()
    flops = benchmark.iteration_flops(width, height)
    base = timings[batch_sizes[0]].median / batch_sizes[0]
    print(f"{width}x{height}, {repeats} steps per N after 2 warm-up; conv peak {peak:.1f} GFLOP/s")
    print(f"N  s/step  s/image-step  images/hour@200it  vs N={batch_sizes[0]}  share of peak")
    for n in batch_sizes:
        step = timings[n].median
        per_image = step / n
        gflops = n * flops / step / 1e9
        print(
            f"{n:<2} {step:7.3f} {per_image:13.3f} {3600 / (200 * per_image):18.1f} "
            f"{base / per_image:7.2f}x {100 * gflops / peak:11.1f}%"
        )

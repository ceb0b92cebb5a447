"""Speed of the style network: training steps/s and nst-tf-apply images/s, fp32 against bf16.

Every case runs in one process and the cases alternate call by call (nst_tf.tools.benchmark's
`time_alternating`), so a shared machine's noise hits them alike: read the ratios first. The
parts are nst-tf-train's and nst-tf-apply's own (training.assemble, network.apply.Stylizer) on
random VGG weights, styles and photos, which speed does not depend on. The FLOPs of a forward
pass are counted from the layer table, to compare with the machine's measured conv peak.

What the network buys is measured against the paper's own route at the same size: an Adam
iteration of configs/paper.py, assembled by nst_tf.build as nst-tf runs it, alternates with the
apply calls, and 200 of them (the paper's run) are compared with one apply call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from nst_tf.model import vgg
from nst_tf.network.transformer import LAYERS, StyleNetwork, channels
from nst_tf.runtime import devices
from nst_tf.tools.benchmark import Timing, conv_peak_gflops, nst_tf_step, time_alternating

PRECISIONS = ("float32", "bfloat16")
PAPER_ITERATIONS = 200  # the paper's run: 200 Adam updates of the image


def forward_flops(width: int, height: int, network_width: float = 1.0) -> float:
    """Multiply-adds x 2 of the network's convolutions on one width x height image."""
    flops, in_channels = 0.0, 3
    sizes = [(height, width)]
    for _ in range(2):
        sizes.append((-(-sizes[-1][0] // 2), -(-sizes[-1][1] // 2)))
    for spec in LAYERS:
        out_channels = channels(spec.filters, network_width, spec.name)
        rows, cols = sizes[spec.level]
        flops += 2 * spec.kernel**2 * in_channels * out_channels * rows * cols
        in_channels = out_channels
    return flops


def training_steps(config, precisions=PRECISIONS) -> dict[str, Callable[[], float]]:
    """One nst-tf-train step per call, on a fixed random batch, for each precision."""
    import tensorflow as tf

    from nst_tf.runtime.distribute import make_strategy
    from nst_tf.training.assemble import assemble

    rng = np.random.RandomState(0)
    size = config.image_size
    styles = [rng.randint(0, 256, (size, size, 3)).astype(np.uint8) for _ in range(2)]
    photos = tf.constant(rng.uniform(0, 255, (config.batch_size, size, size, 3)), tf.float32)
    slots = tf.constant(np.arange(config.batch_size) % 3, tf.int32)
    steps = {}
    for precision in precisions:
        chosen = {"requested": precision, "used": precision, "reason": "benchmark"}
        parts = assemble(
            config,
            make_strategy("one_device"),
            vgg.random_weights(),
            styles,
            ["a", "b"],
            None,
            chosen,
        )
        steps[precision] = lambda trainer=parts.trainer: trainer.step(photos, slots)["total"]
    return steps


def apply_calls(width: int, height: int, precisions=PRECISIONS) -> dict[str, Callable[[], float]]:
    """One nst-tf-apply call on one width x height photo per call, for each precision."""
    from nst_tf.network.apply import Controls, Stylizer

    network = StyleNetwork(3)
    photo = np.random.RandomState(1).randint(0, 256, (1, height, width, 3)).astype(np.uint8)
    calls = {}
    for precision in precisions:
        stylizer = Stylizer(network, Controls((1.0, 0.0)), precision)
        calls[precision] = lambda stylizer=stylizer: float(stylizer(photo).mean())
    return calls


def paper_iterations(width: int, height: int, precisions=PRECISIONS) -> dict[str, Callable]:
    """One Adam iteration of the paper's run of one width x height image, for each precision
    (the memory estimate chooses recomputation, as a run does)."""
    return {p: nst_tf_step(width, height, p, recompute=None) for p in precisions}


@dataclasses.dataclass
class Report:
    cpu: str
    conv_peak_gflops: float
    training: dict[str, Timing]
    apply: dict[str, dict[str, Timing]]  # size -> precision -> one nst-tf-apply call
    paper: dict[str, dict[str, Timing]]  # size -> precision -> one iteration of the paper's run


def run(config, apply_sizes: list[tuple[int, int]], repeats: int) -> Report:
    peak = conv_peak_gflops()
    training = time_alternating(training_steps(config), repeats)
    applied, paper = {}, {}
    for width, height in apply_sizes:
        cases = {("apply", p): call for p, call in apply_calls(width, height).items()}
        cases.update({("paper", p): step for p, step in paper_iterations(width, height).items()})
        timings = time_alternating(cases, repeats)
        label = f"{width}x{height}"
        applied[label] = {p: t for (kind, p), t in timings.items() if kind == "apply"}
        paper[label] = {p: t for (kind, p), t in timings.items() if kind == "paper"}
    report = Report(devices.cpu_summary(), peak, training, applied, paper)
    print(f"CPU: {report.cpu}; measured fp32 conv peak {peak:.0f} GFLOP/s")
    batch, size = config.batch_size, config.image_size
    for precision, timing in training.items():
        print(
            f"train {size} px, batch {batch}, width {config.width:g}, {precision}: "
            f"{1 / timing.median:.3g} steps/s ({timing.median:.3f} s/step)"
        )
    for label, timings in applied.items():
        width, height = (int(v) for v in label.split("x"))
        flops = forward_flops(width, height)
        for precision, timing in timings.items():
            rate = flops / timing.median / 1e9
            optimisation = PAPER_ITERATIONS * report.paper[label][precision].median
            print(
                f"apply {label}, {precision}: {1 / timing.median:.3g} images/s "
                f"({timing.median:.3f} s; {flops / 1e9:.1f} GFLOP at {rate:.0f} GFLOP/s, "
                f"{rate / peak:.0%} of the fp32 conv peak); the paper's {PAPER_ITERATIONS} "
                f"iterations: {optimisation:.1f} s, {optimisation / timing.median:.0f}x as long"
            )
    return report

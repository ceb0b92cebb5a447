"""Speed and memory of the step, side by side with the TensorFlow-tutorial way of writing it.

Both steps run in one process and alternate step by step, so the noise of a shared machine
hits both alike; the machine's conv peak is measured in the same run, so "% of peak" compares
with what this CPU delivers now, not with a datasheet. Peak RSS is measured per case in a
fresh child process, since one process's high-water mark cannot be reset.

Weights are random (He-initialised, VGG-19 shapes): speed does not depend on their values,
and the benchmark then needs nothing fetched.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

from nst_tf.model import vgg
from nst_tf.runtime import devices as hardware
from nst_tf.runtime import memory

CONTENT_LAYER = "conv4_2"
STYLE_LAYERS = tuple((f"conv{block}_1", 0.2) for block in range(1, 6))


def iteration_flops(width: int, height: int) -> float:
    """FLOPs of one paper iteration: the convs to conv5_1 forward and data-backward, Grams.

    The backward pass needs only the data gradient (the weights are constants), which costs
    what the forward conv costs; each style Gram costs 2 HW C^2 forward and again backward.
    """
    flops, in_channels, block = 0.0, 3, 1
    for name in vgg.VGG19_LAYERS[: vgg.VGG19_LAYERS.index("conv5_1") + 1]:
        if name.startswith("pool"):
            width, height, block = -(-width // 2), -(-height // 2), block + 1
        elif name.startswith("conv"):
            channels = vgg.VGG19_CHANNELS[block]
            flops += 2 * (2 * 9 * in_channels * channels * width * height)
            if name in dict(STYLE_LAYERS):
                flops += 4 * width * height * channels**2
            in_channels = channels
    return flops


def nst_tf_step(
    width: int,
    height: int,
    precision: str = "float32",
    jit: bool = False,
    recompute: bool | None = False,
    optimizer: str = "adam",
) -> Callable[[], float]:
    """nst_tf's own step, assembled by the same `build` as a run, on random images and weights."""
    import tensorflow as tf

    from nst_tf.build import Inputs, build
    from nst_tf.config import load_config_table, make_config

    rng = np.random.RandomState(1)
    content, style = (rng.randint(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(2))
    settings = dict(width=width, height=height, precision=precision, jit=jit, recompute=recompute)
    settings.update(optimizer=optimizer)
    settings.update(content="random", style="random", output_dir="unused")
    config = make_config(load_config_table("paper"), settings)
    run = build(config, Inputs(content, (style,)), vgg.random_weights())
    return lambda: float(tf.reduce_sum(run.optimizer.step(run.targets)["total"]))


def tutorial_step(width: int, height: int) -> Callable[[], float]:
    """The baseline, as tensorflow.org's style-transfer tutorial writes it.

    keras.applications.VGG19(weights=None) as a multi-output model, inputs in [0, 1] scaled
    and preprocessed inside the model call, einsum Grams over locations, mean-squared losses,
    targets precomputed, a tf.function step with GradientTape, Adam and a clip. Its content
    layer is block4_conv2 here (the tutorial's is block5_conv2) so both steps do the same work.
    """
    import keras
    import tensorflow as tf

    names = ["block4_conv2", *(f"block{block}_conv1" for block in range(1, 6))]
    net = keras.applications.VGG19(include_top=False, weights=None)
    net.trainable = False
    model = keras.Model(net.input, [net.get_layer(name).output for name in names])

    def gram_matrix(tensor):
        result = tf.linalg.einsum("bijc,bijd->bcd", tensor, tensor)
        shape = tf.shape(tensor)
        return result / tf.cast(shape[1] * shape[2], tf.float32)

    def extract(image):
        outputs = model(keras.applications.vgg19.preprocess_input(image * 255.0))
        return outputs[0], [gram_matrix(output) for output in outputs[1:]]

    rng = np.random.RandomState(1)
    content, style = (rng.uniform(0, 1, (1, height, width, 3)).astype(np.float32) for _ in range(2))
    content_target, _ = extract(tf.constant(content))
    _, style_targets = extract(tf.constant(style))
    image = tf.Variable(content)
    optimizer = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            content_output, style_outputs = extract(image)
            style_loss = tf.add_n(
                [
                    tf.reduce_mean((output - target) ** 2)
                    for output, target in zip(style_outputs, style_targets, strict=True)
                ]
            )
            content_loss = tf.reduce_mean((content_output - content_target) ** 2)
            loss = 1e-2 * style_loss / 5 + 1e4 * content_loss
        grad = tape.gradient(loss, image)
        optimizer.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss

    return lambda: float(train_step())


def conv_peak_gflops(repeats: int = 5) -> float:
    """The best fp32 conv2d throughput of this machine now, over VGG-like layer shapes.

    Both of TensorFlow's CPU conv paths count: the default kernels (oneDNN) and XLA's.
    """
    import tensorflow as tf

    best = 0.0
    for size, channels in ((150, 128), (75, 256), (38, 512)):
        x = tf.random.normal([1, size, size * 4 // 3, channels])
        kernel = tf.random.normal([3, 3, channels, channels])
        flops = 2 * 9 * channels * channels * x.shape[1] * x.shape[2]
        for jit in (False, True):
            conv = tf.function(
                lambda x=x, kernel=kernel: tf.nn.conv2d(x, kernel, 1, "SAME"), jit_compile=jit
            )
            conv().numpy()
            for _ in range(repeats):
                start = time.perf_counter()
                conv().numpy()
                best = max(best, flops / (time.perf_counter() - start) / 1e9)
    return best


@dataclasses.dataclass
class Timing:
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def time_alternating(
    steps: dict[str, Callable[[], float]], repeats: int, warmup: int = 2
) -> dict[str, Timing]:
    """Times each step `repeats` times, interleaved, after `warmup` untimed calls each."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    timings = {name: Timing([]) for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            timings[name].seconds.append(time.perf_counter() - start)
    return timings


def peak_rss_child(case: str, width: int, height: int, precision: str = "float32") -> int:
    """Peak RSS in bytes of a fresh process that builds `case` and runs 3 steps."""
    code = (
        "from nst_tf.runtime import environment; environment.configure();"
        "from nst_tf.tools import benchmark as b;"
        f"b.report_rss_after_steps({case!r}, {width}, {height}, {precision!r})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip().splitlines()[-1])


def report_rss_after_steps(case: str, width: int, height: int, precision: str) -> None:
    step = (
        nst_tf_step(width, height, precision) if case == "nst_tf" else tutorial_step(width, height)
    )
    for _ in range(3):
        step()
    print(peak_rss_bytes())


def peak_rss_bytes() -> int:
    """This process's high-water RSS: VmHWM, since Linux's ru_maxrss survives fork and exec."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(
    sizes: Sequence[tuple[int, int]],
    repeats: int,
    precisions: Sequence[str] = ("float32",),
    jit: bool = False,
    rss: bool = True,
    log: Callable[[str], None] = print,
) -> dict:
    """Every case at every size; returns a JSON-ready report (and logs a table as it goes)."""
    import tensorflow as tf

    log(
        f"TensorFlow {tf.__version__} on {hardware.cpu_summary()}, "
        f"{os.cpu_count()} cores, GPUs: {len(tf.config.list_logical_devices('GPU'))}"
    )
    peak = conv_peak_gflops()
    log(f"measured conv peak: {peak:.1f} GFLOP/s (fp32, best of VGG-like conv2d shapes)")
    report = {
        "cpu": hardware.cpu_summary(),
        "tensorflow": tf.__version__,
        "peak_gflops": peak,
        "repeats": repeats,
        "cases": [],
    }
    for width, height in sizes:
        steps = {
            f"nst_tf {precision}": nst_tf_step(width, height, precision) for precision in precisions
        }
        if jit:
            steps["nst_tf float32 jit"] = nst_tf_step(width, height, "float32", jit=True)
        steps["tutorial baseline"] = tutorial_step(width, height)
        timings = time_alternating(steps, repeats)
        baseline = timings["tutorial baseline"].median
        gflop = iteration_flops(width, height) / 1e9
        for name, timing in timings.items():
            case = {
                "size": f"{width}x{height}",
                "case": name,
                "median_s": timing.median,
                "min_s": min(timing.seconds),
                "max_s": max(timing.seconds),
                "gflop_per_iter": gflop,
                "gflops": gflop / timing.median,
                "percent_of_peak": 100 * gflop / timing.median / peak,
                "speedup_vs_baseline": baseline / timing.median,
            }
            report["cases"].append(case)
            log(
                f"{case['size']:>8} {name:<22} {timing.median:7.3f} s/iter "
                f"(min {case['min_s']:.3f}, max {case['max_s']:.3f})  {case['gflops']:6.1f} GFLOP/s"
                f"  {case['percent_of_peak']:5.1f}% of peak  x{case['speedup_vs_baseline']:.2f}"
            )
        del steps
    if rss:
        width, height = sizes[len(sizes) // 2]
        for case_name, precision in [("nst_tf", p) for p in precisions] + [("tutorial", "float32")]:
            measured = peak_rss_child(case_name, width, height, precision)
            estimate = memory.estimate_peak_bytes(
                width, height, [CONTENT_LAYER, *dict(STYLE_LAYERS)]
            )
            report.setdefault("peak_rss", []).append(
                {
                    "size": f"{width}x{height}",
                    "case": f"{case_name} {precision}",
                    "peak_rss_bytes": measured,
                    "estimate_bytes": estimate,
                }
            )
            log(
                f"{width}x{height} {case_name} {precision}: peak RSS {measured / 2**30:.2f} GiB "
                f"(nst_tf estimate {estimate / 2**30:.2f} GiB)"
            )
    return report


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2)


def large_image_child(
    width: int, height: int, recompute: bool | None, steps: int, optimizer: str = "adam"
) -> dict:
    """Peak RSS and step times of a fresh process that builds one size and runs `steps` steps.

    recompute=None lets the memory estimate choose, as a run does; the choice is reported.
    """
    code = (
        "from nst_tf.runtime import environment; environment.configure();"
        "from nst_tf.tools import benchmark as b;"
        f"b.report_large_image({width}, {height}, {recompute!r}, {steps}, {optimizer!r})"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["killed"])[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def report_large_image(
    width: int, height: int, recompute: bool | None, steps: int, optimizer: str = "adam"
) -> None:
    layers = [CONTENT_LAYER, *dict(STYLE_LAYERS)]
    chosen = memory.choose_recompute(width, height, layers, recompute, optimizer=optimizer)
    started = time.perf_counter()
    step = nst_tf_step(width, height, recompute=chosen, optimizer=optimizer)
    build_seconds = time.perf_counter() - started
    seconds = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - started)
    report = {
        "recompute": chosen,
        "build_s": build_seconds,
        "step_s": seconds,
        "peak_rss_bytes": peak_rss_bytes(),
        "estimate_bytes": memory.estimate_peak_bytes(width, height, layers, chosen, optimizer),
    }
    print(json.dumps(report))


def large_images(
    sizes: Sequence[tuple[int, int]],
    recompute: Sequence[bool | None],
    steps: int,
    log: Callable[[str], None] = print,
    optimizers: Sequence[str] = ("adam",),
) -> list[dict]:
    """Every size with every recompute setting and optimizer, each in its own child process."""
    available = memory.available_bytes() / 2**30
    log(f"{hardware.cpu_summary()}, {os.cpu_count()} cores, {available:.1f} GiB available")
    rows = []
    for width, height in sizes:
        for setting, optimizer in itertools.product(recompute, optimizers):
            row = {"size": f"{width}x{height}", "requested": setting, "optimizer": optimizer}
            row.update(large_image_child(width, height, setting, steps, optimizer))
            rows.append(row)
            if "error" in row:
                log(f"{row['size']:>10} recompute={setting} {optimizer}: {row['error']}")
                continue
            peak, estimate = row["peak_rss_bytes"] / 2**30, row["estimate_bytes"] / 2**30
            steps_s = ", ".join(f"{t:.1f}" for t in row["step_s"])
            log(
                f"{row['size']:>10} {optimizer} recompute={setting} -> {row['recompute']}: "
                f"peak RSS {peak:.2f} GiB, estimate {estimate:.2f} GiB, "
                f"build {row['build_s']:.1f} s, steps {steps_s} s"
            )
    return rows

"""One run end to end: images -> targets (once) -> optimized image -> files in output_dir.

Outputs are written as they become final: `initial.png` (Figure 4's noisy start), `<i>.png`
every save_every iterations, `trace.csv` after every logged iteration, then
`generated_image.jpg`, `side_by_side.png` (content | style | generated) and `config.json`.
An interrupt still writes the image reached so far.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
import time

import numpy as np
from absl import logging

from nst_tf import __version__
from nst_tf.config import Config
from nst_tf.errors import UserError
from nst_tf.images import io as images
from nst_tf.model import vgg
from nst_tf.optim import loop as optimize
from nst_tf.outputs.files import write_text
from nst_tf.outputs.trace import TraceWriter
from nst_tf.runtime import devices as hardware
from nst_tf.runtime import memory
from nst_tf.weights import locate

GENERATED_IMAGE = "generated_image.jpg"
INITIAL_IMAGE = "initial.png"
SIDE_BY_SIDE = "side_by_side.png"
TRACE_FILE = "trace.csv"
CONFIG_FILE = "config.json"


@dataclasses.dataclass(frozen=True)
class RunResult:
    output_dir: str
    image: np.ndarray  # uint8 [H, W, 3]
    trace: list[dict[str, float]]
    seconds: float


def prepare_output_dir(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".write_test{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as err:
        raise UserError(
            f"cannot write to output directory {path} ({err.strerror}); pass a writable "
            "--output_dir"
        ) from None


def resolve_jit(jit: bool | None) -> bool:
    """XLA when asked; unset, only on TPUs, which need it.

    On the CPUs measured here XLA made the step slower (docs/performance.md); on GPUs it has not
    been measured yet, so TensorFlow's own default (off) stands there until it is.
    """
    if jit is not None:
        return jit
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("TPU"))


def versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "nst_tf": __version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


class _Outputs:
    """The loop's hooks: absl log lines as the paper prints them, trace rows, snapshots."""

    def __init__(self, config: Config):
        self._config = config
        self.trace = TraceWriter(os.path.join(config.output_dir, TRACE_FILE))

    def on_log(self, iteration: int, costs: optimize.Costs, seconds: float) -> None:
        logging.info("Iteration %d :", iteration)
        logging.info("total cost = %g", costs.total)
        logging.info("content cost = %g", costs.content)
        logging.info("style cost = %g", costs.style)
        self.trace.append(
            {
                "iteration": iteration,
                "total_cost": costs.total,
                "content_cost": costs.content,
                "style_cost": costs.style,
                "seconds": seconds,
            }
        )

    def on_save(self, iteration: int, image: np.ndarray) -> None:
        self.save(f"{iteration}.png", image)

    def save(self, name: str, image: np.ndarray) -> None:
        images.save_image(
            os.path.join(self._config.output_dir, name),
            images.denormalize(image, self._config.means),
        )

    def write_config(self, status: str, completed: int, seconds: float, weights: dict | None):
        record = {
            "status": status,
            "completed_iterations": completed,
            "wall_seconds": round(seconds, 3),
            "config": self._config.to_dict(),
            "weights": weights,
            "versions": versions(),
        }
        write_text(
            os.path.join(self._config.output_dir, CONFIG_FILE), json.dumps(record, indent=2) + "\n"
        )


def stylize(config: Config) -> RunResult:
    """Runs the paper's optimization for `config` and writes every output."""
    start = time.perf_counter()
    if not config.content or not config.style:
        raise UserError("both --content and --style images are required")
    prepare_output_dir(config.output_dir)
    layers = [config.content_layer, *(name for name, _ in config.style_layers)]
    memory.check_fits(config.width, config.height, layers)
    content = images.load_image(config.content, config.width, config.height, "content")
    style = images.load_image(config.style, config.width, config.height, "style")
    if config.precision == "bfloat16" and not hardware.has_fast_bfloat16():
        logging.warning(
            "bfloat16 requested, but this CPU has no AVX512_BF16/AMX instructions: "
            "expect float32 speed at lower precision (docs/performance.md)"
        )

    weights = vgg.read_matconvnet(locate.resolve_vgg_path(config.vgg_path))
    if weights.provenance:
        logging.info("VGG-19 weights: %s", json.dumps(weights.provenance, sort_keys=True))
    if weights.mean_rgb is not None and not np.allclose(weights.mean_rgb, config.means, atol=1e-3):
        logging.warning(
            "%s was trained with RGB mean %s; the config subtracts %s",
            config.vgg_path,
            weights.mean_rgb.tolist(),
            list(config.means),
        )
    extractor = vgg.build_feature_extractor(weights, layers, config.pooling, config.precision)
    provenance = weights.provenance
    del weights  # the extractor holds its own copies; the arrays would only add to peak memory

    content_image = images.normalize(content, config.means)
    style_image = images.normalize(style, config.means)
    targets = optimize.compute_targets(
        extractor, content_image, style_image, config.content_layer, config.style_layers
    )
    initial = images.generate_noise_image(
        content_image, config.noise_ratio, config.seed, config.noise_range
    )
    outputs = _Outputs(config)
    outputs.save(INITIAL_IMAGE, initial)
    step = optimize.StyleTransferStep(
        extractor,
        targets,
        initial,
        config.content_layer,
        config.style_layers,
        config.alpha,
        config.beta,
        config.learning_rate,
        jit=resolve_jit(config.jit),
    )
    try:
        final = optimize.run_loop(
            step, config.num_iterations, config.log_every, config.save_every, outputs
        )
    except KeyboardInterrupt:
        outputs.save(GENERATED_IMAGE, step.image.numpy())
        completed = int(step.optimizer.iterations.numpy())
        outputs.write_config("interrupted", completed, time.perf_counter() - start, provenance)
        raise
    outputs.save(GENERATED_IMAGE, final)
    final_pixels = images.denormalize(final, config.means)
    images.save_image(
        os.path.join(config.output_dir, SIDE_BY_SIDE),
        images.side_by_side(content, style, final_pixels),
    )
    seconds = time.perf_counter() - start
    outputs.write_config("completed", config.num_iterations, seconds, provenance)
    logging.info("Wrote %s in %.1f s", os.path.join(config.output_dir, GENERATED_IMAGE), seconds)
    return RunResult(config.output_dir, final_pixels, outputs.trace.rows, seconds)

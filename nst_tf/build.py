"""One assembly of a run: images -> targets (once) -> objective -> optimizer.

The CLI, the benchmark, the reproduction script and the tests all call `build`, so what they
measure or check is what users run. Inputs and weights can be passed in (random ones for the
benchmark, tiny ones for tests); by default they are read from the config's paths.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
from absl import logging

from nst_tf.config import Config
from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.images.noise import generate_noise_image
from nst_tf.model import vgg
from nst_tf.objective.objective import Objective
from nst_tf.objective.targets import compute_targets
from nst_tf.optim.adam import AdamOptimizer
from nst_tf.runtime import devices, memory


@dataclasses.dataclass(frozen=True)
class Inputs:
    """The images as uint8 RGB [H, W, 3] at the working size."""

    content: np.ndarray
    styles: tuple[np.ndarray, ...]


@dataclasses.dataclass
class Run:
    config: Config
    inputs: Inputs
    objective: Objective
    optimizer: AdamOptimizer
    initial_image: np.ndarray  # normalized [1, H, W, 3]
    weights_provenance: dict | None


def layers_of(config: Config) -> list[str]:
    return [config.content_layer, *(name for name, _ in config.style_layers)]


def load_inputs(config: Config) -> Inputs:
    """Reads the content and style images named by the config, checked and resized."""
    content = io.load_image(config.content, config.width, config.height, "content")
    style = io.load_image(config.style, config.width, config.height, "style")
    return Inputs(content, (style,))


def load_weights(config: Config) -> vgg.VggWeights:
    weights = vgg.read_matconvnet(config.vgg_path)
    if weights.provenance:
        logging.info("VGG-19 weights: %s", json.dumps(weights.provenance, sort_keys=True))
    if weights.mean_rgb is not None and not np.allclose(weights.mean_rgb, config.means, atol=1e-3):
        logging.warning(
            "%s was trained with RGB mean %s; the config subtracts %s",
            config.vgg_path,
            weights.mean_rgb.tolist(),
            list(config.means),
        )
    return weights


def build(
    config: Config,
    inputs: Inputs | None = None,
    weights: vgg.VggWeights | None = None,
    *,
    initial: np.ndarray | None = None,
    start_updates: int = 0,
) -> Run:
    """Checks memory, reads what was not passed in, and assembles the run's parts.

    `initial` replaces the noisy start (a coarser scale's result); `start_updates`, where a
    resumed run's checkpoint was taken, picks the scale a --scales run starts in.
    """
    if config.scales is not None:
        from nst_tf.optim import multiscale  # it builds each scale with this function

        return multiscale.build_scales(config, inputs, weights, start_updates)
    if inputs is None and (not config.content or not config.style):
        raise UserError("both --content and --style images are required")
    recompute = memory.choose_recompute(
        config.width, config.height, layers_of(config), config.recompute
    )
    if inputs is None:
        inputs = load_inputs(config)
    if config.precision == "bfloat16" and not devices.has_fast_bfloat16():
        logging.warning(
            "bfloat16 requested, but this CPU has no AVX512_BF16/AMX instructions: "
            "expect float32 speed at lower precision (docs/performance.md)"
        )
    if weights is None:
        weights = load_weights(config)
    extractor = vgg.build_feature_extractor(
        weights, layers_of(config), config.pooling, config.precision, recompute
    )
    provenance = weights.provenance
    del weights  # the extractor holds its own copies; the arrays would only add to peak memory

    content_image = io.normalize(inputs.content, config.means)
    style_images = [io.normalize(style, config.means) for style in inputs.styles]
    targets = compute_targets(
        extractor, content_image, style_images, config.content_layer, config.style_layers
    )
    objective = Objective(
        extractor, targets, config.content_layer, config.style_layers, config.alpha, config.beta
    )
    if initial is None:
        initial = generate_noise_image(
            content_image, config.noise_ratio, config.seed, config.noise_range
        )
    optimizer = AdamOptimizer(
        objective, initial, config.learning_rate, jit=devices.resolve_jit(config.jit)
    )
    return Run(config, inputs, objective, optimizer, initial, provenance)

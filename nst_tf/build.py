"""One assembly of a run: images -> targets (once) -> objective -> optimizer.

The CLI, the benchmark, the reproduction script and the tests all call `build`, so what they
measure or check is what users run. Inputs and weights can be passed in (random ones for the
benchmark, tiny ones for tests); by default they are read from the config's paths.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from absl import logging

from nst_tf.config import Config, split_paths
from nst_tf.errors import UserError
from nst_tf.images import color, io, sizes
from nst_tf.images.masks import load_mask
from nst_tf.images.noise import generate_noise_image
from nst_tf.model import vgg
from nst_tf.objective.objective import Objective
from nst_tf.objective.targets import compute_targets
from nst_tf.optim.loop import ImageOptimizer
from nst_tf.optim.registry import make_optimizer
from nst_tf.runtime import devices, memory

if TYPE_CHECKING:
    import keras


@dataclasses.dataclass(frozen=True)
class Inputs:
    """uint8 RGB [H, W, 3] images: the content at the working size, each style at its own.

    Sizes follow nst_tf.images.sizes; --style_masks are float [H, W] at the working size.
    """

    content: np.ndarray
    styles: tuple[np.ndarray, ...]
    masks: tuple[np.ndarray, ...] = ()


@dataclasses.dataclass
class Run:
    config: Config
    inputs: Inputs
    objective: Objective
    optimizer: ImageOptimizer
    initial_image: np.ndarray  # normalized [1, H, W, 3]
    weights_provenance: dict | None
    render: Callable[[np.ndarray], np.ndarray]  # normalized [1, H, W, 3] -> output uint8 RGB
    precision: dict[str, str]  # requested, used and why: --precision=auto decides at build


def layers_of(config: Config) -> list[str]:
    return [config.content_layer, *(name for name, _ in config.style_layers)]


def load_inputs(config: Config) -> Inputs:
    """Reads the content, style(s) and masks named by the config, checked and resized.

    Memory is checked at the sizes the images will have, before any is resized to them.
    """
    content = io.read_image(config.content, "content")
    size = sizes.working_size(
        (content.shape[1], content.shape[0]), config.width, config.height, config.image_size
    )
    styles = [(path, io.read_image(path, "style")) for path in split_paths(config.style)]
    style_sizes = [
        sizes.style_size((style.shape[1], style.shape[0]), size, config.style_scale)
        for _, style in styles
    ]
    largest = max([size, *style_sizes], key=lambda wh: wh[0] * wh[1])
    memory.choose_recompute(*largest, layers_of(config), config.recompute)
    return Inputs(
        io.fit_image(content, *size, config.content),
        tuple(
            io.fit_image(style, *wh, path)
            for (path, style), wh in zip(styles, style_sizes, strict=True)
        ),
        tuple(load_mask(path, *size) for path in split_paths(config.style_masks)),
    )


def _renderer(config: Config, content: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """How the optimised image becomes output pixels, in every writer alike.

    As is, or, with --preserve_colors=luminance, its luminance in the content's colours.
    """
    if config.preserve_colors != "luminance":
        return functools.partial(io.denormalize, means=config.means)
    means = np.asarray(config.means, np.float32)
    return lambda image: color.with_chroma_of(np.asarray(image, np.float32)[0] + means, content)


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


def objective_and_start(
    config: Config, inputs: Inputs, extractor: keras.Model
) -> tuple[Objective, np.ndarray]:
    """The targets (computed once), the objective over them, and the noisy start.

    Shared by `build` and by nst-tf-batch, which runs many jobs on one extractor, so that a job
    is assembled the same way whichever command runs it.
    """
    content_pixels, style_pixels = color.network_images(
        inputs.content, inputs.styles, config.preserve_colors, config.color_match
    )
    content_image = io.normalize(content_pixels, config.means)
    style_images = [io.normalize(style, config.means) for style in style_pixels]
    targets = compute_targets(
        extractor,
        content_image,
        style_images,
        config.content_layer,
        config.style_layers,
        config.style_blend_weights,
        inputs.masks,
        config.pooling,
    )
    objective = Objective(
        extractor,
        targets,
        config.content_layer,
        config.style_layers,
        config.alpha,
        config.beta,
        config.content_normalization,
    )
    start = generate_noise_image(content_image, config.noise_ratio, config.seed, config.noise_range)
    return objective, start


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
    if inputs is None:
        if not config.content or not config.style:
            raise UserError("both --content and --style images are required")
        inputs = load_inputs(config)  # logs the estimate and refuses a size that cannot fit
    largest = max(
        (inputs.content, *inputs.styles), key=lambda image: image.shape[0] * image.shape[1]
    )
    recompute = memory.needs_recompute(
        largest.shape[1], largest.shape[0], layers_of(config), config.recompute
    )
    precision, why = devices.resolve_precision(config.precision)
    logging.info("Precision: %s (%s)", precision, why)
    if precision == "bfloat16" and not devices.has_fast_bfloat16():
        logging.warning(
            "bfloat16 requested, but this CPU has no AVX512_BF16/AMX instructions: "
            "expect float32 speed at lower precision (docs/performance.md)"
        )
    if weights is None:
        weights = load_weights(config)
    extractor = vgg.build_feature_extractor(
        weights, layers_of(config), config.pooling, precision, recompute
    )
    provenance = weights.provenance
    del weights  # the extractor holds its own copies; the arrays would only add to peak memory

    objective, start = objective_and_start(config, inputs, extractor)
    initial = start if initial is None else initial
    optimizer = make_optimizer(config, objective, initial, jit=devices.resolve_jit(config.jit))
    render = _renderer(config, inputs.content)
    precision_record = {"requested": config.precision, "used": precision, "reason": why}
    return Run(config, inputs, objective, optimizer, initial, provenance, render, precision_record)

"""One assembly of a run at one size: images -> targets (once) -> objective -> optimizer.

The CLI, nst-tf-batch, the benchmarks, the figure scripts and the tests all call `build`, so
what they measure or check is what users run. Inputs and weights can be passed in (random ones
for the benchmark, tiny ones for tests); by default they are read from the config's paths. An
objective can be passed in too: nst-tf-batch builds one per batch command and every job of it
prepares its own targets over the same extractor.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np
from absl import logging

from nst_tf.config import Config, split_paths
from nst_tf.errors import UserError
from nst_tf.images import color, io, sizes
from nst_tf.images.masks import load_mask
from nst_tf.images.noise import INITS, initial_image
from nst_tf.images.segmentation import Segments, load_segments
from nst_tf.model import vgg
from nst_tf.objective.objective import Objective, Targets
from nst_tf.objective.terms import make_terms
from nst_tf.objective.terms.base import TermImages
from nst_tf.optim.loop import ImageOptimizer
from nst_tf.optim.registry import make_optimizer
from nst_tf.runtime import devices, memory
from nst_tf.weights import matconvnet


@dataclasses.dataclass(frozen=True)
class Inputs:
    """uint8 RGB [H, W, 3] images: the content at the working size, each style at its own.

    Sizes follow nst_tf.images.sizes; --style_masks are float [H, W] at the working size;
    `init` is --init=PATH's image at the working size; `segments` the classes of
    --content_segmentation and --style_segmentation, each at its image's size.
    """

    content: np.ndarray
    styles: tuple[np.ndarray, ...]
    masks: tuple[np.ndarray, ...] = ()
    init: np.ndarray | None = None
    segments: Segments | None = None


@dataclasses.dataclass
class Run:
    config: Config
    inputs: Inputs
    objective: Objective
    targets: Targets  # the objective's, computed once; an argument of every step
    optimizer: ImageOptimizer
    initial_image: np.ndarray  # normalized [1, H, W, 3]
    weights_provenance: dict | None
    render: Callable[[np.ndarray], np.ndarray]  # normalized [1, H, W, 3] -> output uint8 RGB
    precision: dict[str, str]  # requested, used and why: --precision=auto decides at build


def layers_of(config: Config) -> list[str]:
    """The VGG layers the config's terms read (what the extractor and memory estimate need)."""
    return list(dict.fromkeys(name for term in make_terms(config) for name in term.layers))


def working_size(config: Config, content_size: tuple[int, int]) -> tuple[int, int]:
    return sizes.working_size(content_size, config.width, config.height, config.image_size)


def load_inputs(config: Config, check_memory: bool = True) -> Inputs:
    """Reads the content, style(s), masks, --init image and segmentations of the config, resized.

    Memory is checked at the sizes the images will have, before any is resized to them (a
    --scales run checks its largest scale itself and passes check_memory=False).
    """
    if not config.content or not config.style:
        raise UserError("both --content and --style images are required")
    content = io.read_image(config.content, "content")
    size = working_size(config, (content.shape[1], content.shape[0]))
    styles = [(path, io.read_image(path, "style")) for path in split_paths(config.style)]
    style_sizes = [
        sizes.style_size((style.shape[1], style.shape[0]), size, config.style_scale)
        for _, style in styles
    ]
    if check_memory:
        largest = max([size, *style_sizes], key=lambda wh: wh[0] * wh[1])
        size_flag = "--width/--height" if config.image_size is None else "--image_size"
        memory.choose_recompute(
            *largest,
            layers_of(config),
            config.recompute,
            size_flag,
            config.optimizer,
            config.lbfgs_history,
        )
    init = None
    if config.init not in INITS:
        init = io.fit_image(io.read_image(config.init, "--init"), *size, config.init)
    segments = None
    if config.content_segmentation:
        style = styles[0][1]
        segments = load_segments(
            config.content_segmentation,
            config.style_segmentation,
            ((content.shape[1], content.shape[0]), size),
            ((style.shape[1], style.shape[0]), style_sizes[0]),
        )
    return Inputs(
        io.fit_image(content, *size, config.content),
        tuple(
            io.fit_image(style, *wh, path)
            for (path, style), wh in zip(styles, style_sizes, strict=True)
        ),
        tuple(load_mask(path, *size) for path in split_paths(config.style_masks)),
        init,
        segments,
    )


def load_weights(config: Config) -> vgg.VggWeights:
    weights = matconvnet.read_matconvnet(config.vgg_path)
    logging.info("%s", matconvnet.describe(config.vgg_path, weights))
    if weights.mean_rgb is not None and not np.allclose(weights.mean_rgb, config.means, atol=1e-3):
        logging.warning(
            "%s was trained with RGB mean %s; the config subtracts %s",
            config.vgg_path,
            weights.mean_rgb.tolist(),
            list(config.means),
        )
    return weights


def renderer(config: Config, content: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """How the optimised image becomes output pixels, in every writer alike.

    As is, or, with --preserve_colors=luminance, its luminance in the content's colours.
    """
    if config.preserve_colors != "luminance":
        return functools.partial(io.denormalize, means=config.means)
    means = np.asarray(config.means, np.float32)
    return lambda image: color.with_chroma_of(np.asarray(image, np.float32)[0] + means, content)


def make_objective(
    config: Config, weights: vgg.VggWeights, precision: str, recompute: bool = False
) -> Objective:
    """The config's terms over a VGG extractor built only as deep as they read."""
    terms = make_terms(config)
    layers = list(dict.fromkeys(name for term in terms for name in term.layers))
    extractor = vgg.build_feature_extractor(weights, layers, config.pooling, precision, recompute)
    return Objective(extractor, terms)


def resolve_precision(config: Config) -> dict[str, str]:
    """--precision resolved for this machine, logged once: requested, used and why."""
    precision, why = devices.resolve_precision(config.precision)
    logging.info("Precision: %s (%s)", precision, why)
    if precision == "bfloat16" and not devices.has_fast_bfloat16():
        logging.warning(
            "bfloat16 requested, but this CPU has no AVX512_BF16/AMX instructions: "
            "expect float32 speed at lower precision (docs/performance.md)"
        )
    return {"requested": config.precision, "used": precision, "reason": why}


def prepare_job(config: Config, inputs: Inputs, objective: Objective) -> tuple[Targets, np.ndarray]:
    """A job's targets (computed once) and its start image, over a given objective.

    Shared by `build` and by nst-tf-batch, so that a job is assembled the same way whichever
    command runs it.
    """
    content_pixels, style_pixels = color.network_images(
        inputs.content, inputs.styles, config.preserve_colors, config.color_match
    )
    content = io.normalize(content_pixels, config.means)
    images = TermImages(
        content,
        tuple(io.normalize(style, config.means) for style in style_pixels),
        inputs.masks,
        inputs.content,
        inputs.segments,
    )
    targets = objective.prepare(images)
    init = None if inputs.init is None else io.normalize(inputs.init, config.means)
    start = initial_image(
        config.init, content, config.seed, config.noise_ratio, config.noise_range, init
    )
    return targets, start


def build(
    config: Config,
    inputs: Inputs | None = None,
    weights: vgg.VggWeights | None = None,
    *,
    initial: np.ndarray | None = None,
    precision: dict[str, str] | None = None,
) -> Run:
    """Reads what was not passed in and assembles the run's parts at the config's one size.

    `initial` replaces the config's start (a coarser scale's result); `precision`, when given,
    is a resolution already logged (every scale of a run shares the first one's).
    """
    if inputs is None:
        inputs = load_inputs(config)  # logs the estimate and refuses a size that cannot fit
    largest = max(
        (inputs.content, *inputs.styles), key=lambda image: image.shape[0] * image.shape[1]
    )
    recompute = memory.needs_recompute(
        largest.shape[1],
        largest.shape[0],
        layers_of(config),
        config.recompute,
        config.optimizer,
        config.lbfgs_history,
    )
    precision = precision or resolve_precision(config)
    if weights is None:
        weights = load_weights(config)
    objective = make_objective(config, weights, precision["used"], recompute)
    provenance = weights.provenance
    del weights  # the extractor holds its own copies; the arrays would only add to peak memory

    targets, start = prepare_job(config, inputs, objective)
    initial = start if initial is None else initial
    optimizer = make_optimizer(config, objective, initial, jit=devices.resolve_jit(config.jit))
    render = renderer(config, inputs.content)
    return Run(
        config, inputs, objective, targets, optimizer, initial, provenance, render, precision
    )

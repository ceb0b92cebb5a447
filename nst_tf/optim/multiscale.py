"""Coarse to fine (`--scales`): optimise small first, then upsample and continue larger.

A step costs about its pixel count, and the large shapes a style paints settle as well at a
quarter of the pixels, so the full size only has to refine them (crowsonkb's
style-transfer-pytorch, jcjohnson's multi-scale neural-style scripts). Each scale is one whole
`build()` at that size: its content and style targets come from the ORIGINAL images resized to
it (never from the previous scale's copies), its extractor is chosen for that size's memory, and
its optimizer starts afresh from the previous result upsampled bicubically. Only the VGG weights
are read once and shared.

Adam's moments are not carried to the next scale: they are per-pixel statistics of another
image size, and carrying them resized was measured no better (docs/performance.md).

Iterations are numbered globally: with --scales=200,400 --scale_iterations=150,50 the trace,
the paper's log lines, snapshots and checkpoints run 0..199, and iteration 150 is the first at
400 px. trace.csv has a `long_side` column naming the scale of each row, and a log line marks
each change of scale. A checkpoint belongs to the scale it was taken in, so a resume rebuilds
that scale first and then carries on through the schedule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf import build as build_lib
from nst_tf.config import Config
from nst_tf.images import io, sizes
from nst_tf.model import vgg
from nst_tf.objective.objective import Terms
from nst_tf.runtime import memory

LONG_SIDE = "long_side"  # the trace column naming each row's scale


@dataclasses.dataclass(frozen=True)
class Scale:
    """One size of the schedule and its share of the iterations."""

    index: int
    width: int
    height: int
    iterations: int
    start: int  # iterations of the scales before this one

    @property
    def end(self) -> int:
        return self.start + self.iterations

    @property
    def long_side(self) -> int:
        return max(self.width, self.height)


def total_iterations(config: Config) -> int:
    """Iterations of the whole run: num_iterations, or the sum over the scales."""
    if config.scales is None:
        return config.num_iterations
    return sum(config.scale_iterations or [config.num_iterations] * len(config.scales))


def schedule(config: Config, content_size: tuple[int, int]) -> list[Scale]:
    """The scales of `config` at the content's aspect ratio (content_size is width, height)."""
    iterations = config.scale_iterations or [config.num_iterations] * len(config.scales)
    scales, start = [], 0
    for index, (long_side, count) in enumerate(zip(config.scales, iterations, strict=True)):
        width, height = sizes.fit_long_side(*content_size, long_side)
        scales.append(Scale(index, width, height, count, start))
        start += count
    return scales


def scale_at(scales: list[Scale], updates: int) -> Scale:
    """The scale whose updates run up to `updates`: the one a checkpoint then was taken in."""
    for scale in scales:
        if updates <= scale.end:
            return scale
    return scales[-1]


def upsample(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """A normalized [1, H, W, 3] image resized bicubically to width x height."""
    resized = tf.image.resize(tf.constant(image, tf.float32), (height, width), method="bicubic")
    return resized.numpy()


def at_scale(config: Config, scale: Scale) -> Config:
    """The one-size config of a scale: what `build` assembles for it."""
    return dataclasses.replace(
        config,
        width=scale.width,
        height=scale.height,
        image_size=None,  # the scale's exact size, not --image_size's
        num_iterations=scale.iterations,
        scales=None,
        scale_iterations=None,
    )


def _resized(
    inputs: build_lib.Inputs | None, scale: Scale, style_scale: float | None
) -> build_lib.Inputs | None:
    """Passed-in images resized from the originals; None lets `build` read the files."""
    if inputs is None:
        return None
    size = (scale.width, scale.height)
    styles = []
    for style in inputs.styles:
        style_size = sizes.style_size((style.shape[1], style.shape[0]), size, style_scale)
        styles.append(io.resize(style, *style_size))
    masks = tuple(
        tf.image.resize(mask[..., np.newaxis], (scale.height, scale.width)).numpy()[..., 0]
        for mask in inputs.masks
    )
    return build_lib.Inputs(io.resize(inputs.content, *size), tuple(styles), masks)


class MultiScaleOptimizer:
    """The loop's optimizer over the whole schedule: each scale's own optimizer in turn.

    It changes scale inside the step after a scale's last update, so the loop, its writers and
    its checkpoints need nothing new. That step returns the finished scale's costs (one extra
    forward pass at its size), so every logged cost is of the image the iteration produced.
    """

    def __init__(
        self,
        scales: list[Scale],
        build_scale: Callable[[Scale, np.ndarray | None], build_lib.Run],
        start_updates: int = 0,
    ):
        self.scales = scales
        self._build_scale = build_scale
        # Checkpoints track this module; its attributes follow the current scale's optimizer.
        self._tracked = tf.Module(name="scale_state")
        self._enter(scale_at(scales, start_updates), None)

    def _enter(self, scale: Scale, initial: np.ndarray | None) -> None:
        logging.info(
            "Scale %d of %d: %dx%d, iterations %d to %d",
            scale.index + 1,
            len(self.scales),
            scale.width,
            scale.height,
            scale.start,
            scale.end - 1,
        )
        self.scale = scale
        self.run = self._build_scale(scale, initial)
        for name, trackable in self.run.optimizer.state().items():
            setattr(self._tracked, name, trackable)

    @property
    def image(self) -> tf.Variable:
        return self.run.optimizer.image

    @property
    def last_finite(self) -> tf.Variable:
        return self.run.optimizer.last_finite

    @property
    def objective(self):
        return self.run.objective

    @property
    def updates(self) -> int:
        return self.scale.start + self.run.optimizer.updates

    def _with_scale(self, terms: Terms) -> Terms:
        batch = tf.shape(terms["total"])
        return {**terms, LONG_SIDE: tf.fill(batch, float(self.scale.long_side))}

    def step(self) -> Terms:
        if self.updates < self.scale.end or self.scale.index + 1 == len(self.scales):
            return self._with_scale(self.run.optimizer.step())
        finished = self._with_scale(self.run.optimizer.evaluate())
        following = self.scales[self.scale.index + 1]
        image = upsample(self.image.numpy(), following.width, following.height)
        self.run = None  # let the finished scale's graph and activations go first
        self._enter(following, image)
        self.run.optimizer.step()
        return finished

    def evaluate(self) -> Terms:
        return self._with_scale(self.run.optimizer.evaluate())

    def state(self) -> dict[str, Any]:
        return {"scale_state": self._tracked}


def build_scales(
    config: Config,
    inputs: build_lib.Inputs | None,
    weights: vgg.VggWeights | None,
    start_updates: int,
) -> build_lib.Run:
    """The run of a --scales config, starting in the scale `start_updates` falls in."""
    if inputs is None:
        content_size = io.read_size(config.content, "content")
    else:
        content_size = (inputs.content.shape[1], inputs.content.shape[0])
    scales = schedule(config, content_size)
    # Refuse an output size that cannot fit before the first scale, not after it.
    memory.choose_recompute(
        scales[-1].width, scales[-1].height, build_lib.layers_of(config), config.recompute
    )
    if weights is None:
        weights = build_lib.load_weights(config)

    def build_scale(scale: Scale, initial: np.ndarray | None) -> build_lib.Run:
        scale_inputs = _resized(inputs, scale, config.style_scale)
        return build_lib.build(at_scale(config, scale), scale_inputs, weights, initial=initial)

    optimizer = MultiScaleOptimizer(scales, build_scale, start_updates)
    first = optimizer.run
    final = scales[-1]
    if optimizer.scale is final:
        final_inputs = first.inputs
    elif inputs is None:
        final_inputs = build_lib.load_inputs(at_scale(config, final))
    else:
        final_inputs = _resized(inputs, final, config.style_scale)
    return build_lib.Run(
        config,
        final_inputs,
        first.objective,
        optimizer,
        first.initial_image,
        weights.provenance,
        # Snapshots and the result are rendered by the scale in progress (its content's
        # colours for --preserve_colors=luminance are at its size).
        lambda image: optimizer.run.render(image),
        first.precision,
    )

"""One assembly of a training run's parts, for nst-tf-train, its tests and benchmarks alike.

As nst_tf.build assembles an optimisation at one size, `assemble` builds what a training step
needs from a config and what was read (weights, style pixels, a fine-tuned base): the VGG
objective and the network under the strategy's scope, the style targets, the loss and the
Trainer. Callers pass in what they read (random weights for a benchmark, tiny ones for tests),
so what they measure or check is what users run.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf import build
from nst_tf.images import io
from nst_tf.model import vgg
from nst_tf.network import export
from nst_tf.network.style_maps import IDENTITY
from nst_tf.network.transformer import StyleNetwork
from nst_tf.training.config import NetworkConfig
from nst_tf.training.loss import TrainingLoss, style_table, training_objective
from nst_tf.training.trainer import Trainer


def style_name(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def read_styles(config: NetworkConfig) -> list[np.ndarray]:
    """Each style image as uint8, its long side --style_size (aspect kept) or its own."""
    styles = []
    for path in config.style_paths:
        pixels = io.read_image(path, "style")
        if config.style_size is not None:
            height, width = pixels.shape[:2]
            scale = config.style_size / max(height, width)
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            pixels = io.fit_image(pixels, *size, path)
        styles.append(pixels)
    return styles


@dataclasses.dataclass
class Base:
    """The network a --finetune_from run adds styles to."""

    network: StyleNetwork
    styles: list[str]


def load_base(config: NetworkConfig) -> Base | None:
    if config.finetune_from is None:
        return None
    network, metadata = export.load(config.finetune_from, "--finetune_from")
    if network.width != config.width:
        logging.info(
            "Fine-tuning keeps %s's width %g (--width=%g is not used)",
            config.finetune_from,
            network.width,
            config.width,
        )
    return Base(network, list(metadata["styles"]))


def start_from(network: StyleNetwork, base: Base) -> None:
    """`network` takes base's weights; its new slots' gammas and betas start at the mean of
    base's styles (a style-like start for the new rows, which alone are trained)."""
    old = base.network.slots
    for layer, trained in zip(network.layers, base.network.layers, strict=True):
        layer.kernel.assign(trained.kernel)
        for table, source in ((layer.gamma, trained.gamma), (layer.beta, trained.beta)):
            styles = source[IDENTITY + 1 :] if old > 1 else source
            fresh = tf.repeat(tf.reduce_mean(styles, axis=0, keepdims=True), network.slots - old, 0)
            table.assign(tf.concat([source, fresh], axis=0))


@dataclasses.dataclass
class Assembly:
    trainer: Trainer
    network: StyleNetwork
    styles: list[str]  # names of the network's styles, in slot order after the identity
    trained_slots: list[int]  # the slots this run samples and trains
    precision: dict[str, str]


def assemble(
    config: NetworkConfig,
    strategy: tf.distribute.Strategy,
    weights: vgg.VggWeights,
    style_pixels: list[np.ndarray],
    names: list[str],
    base: Base | None = None,
    precision: dict[str, str] | None = None,
) -> Assembly:
    """The parts of a run (module doc); `names` name `style_pixels`, added after base's."""
    precision = precision or build.resolve_precision(config)
    old_slots = base.network.slots if base else 1
    slots = old_slots + len(style_pixels)
    with strategy.scope():
        objective = training_objective(config, weights, precision["used"])
        width = base.network.width if base else config.width
        network = StyleNetwork(slots, width, config.seed)
    if base:
        start_from(network, base)
    normalized = [io.normalize(style, config.means) for style in style_pixels]
    table = style_table(objective, normalized, config.image_size, old_slots)
    # A fine-tuning run trains (and samples) only its new slots.
    trained = list(range(old_slots, slots)) if base else list(range(slots))
    trainer = Trainer(
        strategy,
        network,
        TrainingLoss(objective, table, config.means),
        config.learning_rate,
        config.batch_size,
        precision["used"],
        trained if base else None,
    )
    all_names = [*(base.styles if base else []), *names]
    return Assembly(trainer, network, all_names, trained, precision)

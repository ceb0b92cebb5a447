"""Shared test helpers, all data made here: a tiny VGG-shaped network, small images, configs.

Fixtures built on them are in tests/conftest.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from nst_tf.config import Config, load_config_table, make_config
from nst_tf.model import vgg
from nst_tf.objective.objective import Objective, Targets
from nst_tf.objective.terms.base import TermImages
from nst_tf.objective.terms.content import ContentTerm
from nst_tf.objective.terms.style import StyleTerm

PAPER_IMAGES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "paper", "images")
PAPER_MEANS = (123.68, 116.779, 103.939)
TINY_CHANNELS = {1: 4, 2: 6, 3: 8, 4: 8, 5: 8}


def tiny_vgg_weights(seed: int = 0, channels: dict[int, int] = TINY_CHANNELS):
    """He-initialised kernels with VGG-19's layer structure but few channels."""
    weights = vgg.random_weights(seed, channels, bias_scale=0.1)
    return weights.kernels, weights.biases


def smooth_image(width: int, height: int, seed: int) -> np.ndarray:
    """A deterministic colourful uint8 image with both smooth gradients and texture."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [
        127 + 100 * np.sin(x / (3 + c + seed) + y / (5 + 2 * c)) + rng.uniform(-20, 20, x.shape)
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)


def paper_image(name: str) -> str:
    path = os.path.join(PAPER_IMAGES, name)
    if not os.path.isfile(path):
        pytest.skip(f"the paper's images are not at {PAPER_IMAGES} (../shared/paper/images)")
    return path


def paper_config(**overrides) -> Config:
    """The paper's config with test overrides (paths, tiny sizes, few iterations)."""
    return make_config(load_config_table("paper"), overrides)


def tiny_config(weights_path: str, images: tuple[str, str], output_dir, /, **overrides) -> Config:
    """The paper's config on the tiny net and 40x30 images: 4 iterations, every one logged."""
    content, style = images
    settings = dict(content=content, style=style, vgg_path=weights_path)
    settings.update(output_dir=str(output_dir), width=40, height=30, num_iterations=4)
    settings.update(log_every=1, save_every=100, tensorboard=False)
    settings.update(overrides)
    return paper_config(**settings)


def run_cli(*flags: str, cwd: str | None = None, timeout: float = 300):
    """`python -m nst_tf.cli FLAGS` in a subprocess, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "nst_tf.cli", *flags],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


PAPER_STYLE_LAYERS = tuple((f"conv{block}_1", 0.2) for block in range(1, 6))


def paper_objective(
    extractor,
    content_layer: str = "conv4_2",
    style_layers=PAPER_STYLE_LAYERS,
    alpha: float = 10.0,
    beta: float = 40.0,
    **style_options,
) -> Objective:
    """eq. 4's two terms over `extractor`, as configs/paper.py builds them."""
    return Objective(
        extractor,
        [
            ContentTerm(((content_layer, 1.0),), alpha),
            StyleTerm(style_layers, beta, **style_options),
        ],
    )


def prepare(objective: Objective, content, styles, masks=()) -> Targets:
    """The objective's targets for normalized [1, H, W, 3] images."""
    return objective.prepare(TermImages(content, tuple(styles), tuple(masks)))

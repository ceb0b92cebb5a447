"""Shared test helpers, all data made here: a tiny VGG-shaped network, small images, configs.

Fixtures built on them are in tests/conftest.py.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from nst_tf.config import Config, load_config_table, make_config
from nst_tf.model import vgg

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

"""Shared test data, all made here: a tiny VGG-shaped network and small images."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nst_tf import vgg
from nst_tf.config import Config, load_config_table, make_config
from nst_tf.images import save_image

PAPER_IMAGES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "paper", "images")
TINY_CHANNELS = {1: 4, 2: 6, 3: 8, 4: 8, 5: 8}


def tiny_vgg_weights(seed: int = 0, channels: dict[int, int] = TINY_CHANNELS):
    """He-initialised kernels with VGG-19's layer structure but few channels."""
    weights = vgg.random_weights(seed, channels, bias_scale=0.1)
    return weights.kernels, weights.biases


@pytest.fixture(scope="session")
def tiny_vgg_path(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("weights") / "tiny-vgg19.mat")
    kernels, biases = tiny_vgg_weights()
    vgg.write_matconvnet(path, kernels, biases, (123.68, 116.779, 103.939))
    return path


def smooth_image(width: int, height: int, seed: int) -> np.ndarray:
    """A deterministic colourful uint8 image with both smooth gradients and texture."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [
        127 + 100 * np.sin(x / (3 + c + seed) + y / (5 + 2 * c)) + rng.uniform(-20, 20, x.shape)
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def tiny_images(tmp_path_factory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("images")
    content, style = str(folder / "content.png"), str(folder / "style.jpg")
    save_image(content, smooth_image(40, 30, seed=1))
    save_image(style, smooth_image(40, 30, seed=7))
    return content, style


def paper_image(name: str) -> str:
    path = os.path.join(PAPER_IMAGES, name)
    if not os.path.isfile(path):
        pytest.skip(f"the paper's images are not at {PAPER_IMAGES} (../shared/paper/images)")
    return path


def paper_config(**overrides) -> Config:
    """The paper's config with test overrides (paths, tiny sizes, few iterations)."""
    return make_config(load_config_table("paper"), overrides)

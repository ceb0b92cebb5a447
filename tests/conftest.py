"""Fixtures shared by every test folder; the plain helpers they use live in tests/helpers.py."""

from __future__ import annotations

import pytest

from nst_tf.images.io import save_image
from nst_tf.weights import matconvnet
from tests.helpers import (
    PAPER_MEANS,
    smooth_image,
    tiny_network_config,
    tiny_vgg_weights,
    training_photos,
)


@pytest.fixture(scope="session")
def tiny_vgg_path(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("weights") / "tiny-vgg19.mat")
    kernels, biases = tiny_vgg_weights()
    matconvnet.write_matconvnet(path, kernels, biases, PAPER_MEANS)
    return path


@pytest.fixture(scope="session")
def tiny_images(tmp_path_factory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("images")
    content, style = str(folder / "content.png"), str(folder / "style.jpg")
    save_image(content, smooth_image(40, 30, seed=1))
    save_image(style, smooth_image(40, 30, seed=7))
    return content, style


@pytest.fixture(scope="session")
def network_inputs(tmp_path_factory) -> tuple[str, str]:
    """(comma-separated style images, photo folder)."""
    root = tmp_path_factory.mktemp("network_inputs")
    styles = []
    for seed, (width, height) in ((7, (40, 30)), (8, (30, 40)), (9, (36, 36))):
        path = str(root / f"style{seed}.png")
        save_image(path, smooth_image(width, height, seed=seed))
        styles.append(path)
    return ",".join(styles), training_photos(root / "photos")


@pytest.fixture(scope="session")
def trained(tiny_vgg_path, network_inputs, tmp_path_factory):
    """(config, result) of 4 steps on two styles, checkpoints after 1, 3 and 4 updates.

    One tiny training run shared by the training, export and apply tests (a run costs seconds).
    """
    from nst_tf.runtime.distribute import make_strategy
    from nst_tf.training.run import train

    styles, photos = network_inputs
    two = ",".join(styles.split(",")[:2])
    config = tiny_network_config(tiny_vgg_path, two, photos, tmp_path_factory.mktemp("run"))
    return config, train(config, make_strategy("one_device"))

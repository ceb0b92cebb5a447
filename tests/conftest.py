"""Fixtures shared by every test folder; the plain helpers they use live in tests/helpers.py."""

from __future__ import annotations

import pytest

from nst_tf.images.io import save_image
from nst_tf.weights import matconvnet
from tests.helpers import PAPER_MEANS, smooth_image, tiny_vgg_weights


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

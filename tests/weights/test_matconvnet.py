"""The MatConvNet reader refuses damaged weights when the file is read, naming the layer."""

from __future__ import annotations

import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.weights import matconvnet
from tests.helpers import PAPER_MEANS, run_cli, tiny_vgg_weights


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights_are_refused_naming_the_layer(tmp_path, bad):
    kernels, biases = tiny_vgg_weights()
    kernels["conv3_2"][1, 1, 0, 0] = bad
    path = str(tmp_path / "damaged.mat")
    matconvnet.write_matconvnet(path, kernels, biases, PAPER_MEANS)
    with pytest.raises(
        UserError, match=r"damaged\.mat: layer conv3_2 holds NaN or infinite weights"
    ):
        matconvnet.read_matconvnet(path)


def test_a_run_with_nan_weights_ends_in_one_line_not_a_garbage_image(tmp_path, tiny_images):
    kernels, biases = tiny_vgg_weights()
    biases["conv1_1"][0] = np.nan
    path = str(tmp_path / "nan.mat")
    matconvnet.write_matconvnet(path, kernels, biases, PAPER_MEANS)
    result = run_cli(
        f"--content={tiny_images[0]}", f"--style={tiny_images[1]}", f"--vgg_path={path}",
        f"--output_dir={tmp_path / 'out'}", "--width=40", "--height=30", "--num_iterations=2",
    )  # fmt: skip
    assert result.returncode == 1 and "layer conv1_1 holds NaN" in result.stderr
    assert not (tmp_path / "out" / "generated_image.jpg").exists()


def test_the_weights_are_described_in_one_short_line(tiny_vgg_path):
    weights = matconvnet.read_matconvnet(tiny_vgg_path)
    line = matconvnet.describe(tiny_vgg_path, weights)
    assert line.startswith("VGG-19 weights: ") and "\n" not in line and len(line) < 200

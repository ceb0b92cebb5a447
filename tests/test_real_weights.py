"""Integration with the real VGG-19 weights (fetched by scripts/fetch_pretrained.py).

Skipped, with the reason, when pretrained/ holds no weights or demo images; CI fetches both.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf

from nst_tf import stylize
from nst_tf.images import io as images
from nst_tf.tools import reproduce
from nst_tf.weights import matconvnet
from tests.helpers import paper_config, paper_image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEIGHTS = os.path.join(ROOT, "pretrained", "imagenet-vgg-verydeep-19.mat")
EXAMPLES = os.path.join(ROOT, "pretrained", "examples")


@pytest.fixture(scope="module")
def real_inputs():
    content = os.path.join(EXAMPLES, "chelsea.png")
    style = os.path.join(EXAMPLES, "coffee.png")
    missing = [path for path in (WEIGHTS, content, style) if not os.path.isfile(path)]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: run `python scripts/fetch_pretrained.py`")
    return WEIGHTS, content, style


def test_features_of_a_real_image_are_deterministic_across_loads(real_inputs):
    weights, content, _ = real_inputs
    image = tf.constant(images.normalize(images.load_image(content, 100, 75)))
    first = matconvnet.load_vgg_model(weights, layers=["conv4_2"])(image)["conv4_2"].numpy()
    second = matconvnet.load_vgg_model(weights, layers=["conv4_2"])(image)["conv4_2"].numpy()
    np.testing.assert_array_equal(first, second)
    assert first.shape == (1, 10, 13, 512)
    assert np.isfinite(first).all() and 0.05 < np.mean(first > 0) < 0.95


def test_real_run_lowers_style_cost_tenfold_with_bounded_content(real_inputs, tmp_path):
    weights, content, style = real_inputs
    config = paper_config(
        content=content,
        style=style,
        vgg_path=weights,
        output_dir=str(tmp_path),
        width=100,
        height=75,
        num_iterations=41,
        log_every=40,
        save_every=100,
    )
    result = stylize.stylize(config)
    first, last = result.trace[0], result.trace[-1]
    assert [first["iteration"], last["iteration"]] == [0, 40]
    assert last["style_cost"] <= first["style_cost"] / 10
    assert (
        np.isfinite(last["content_cost"]) and 0 < last["content_cost"] < 10 * first["content_cost"]
    )
    assert result.image.std() > 10  # a picture, not a flat field


def test_paper_run_matches_the_printed_iteration_0(tmp_path):
    """Fidelity guard: the paper's images and settings, one logged iteration, real weights."""
    if not os.path.isfile(WEIGHTS):
        pytest.skip(f"{WEIGHTS} missing: run `python scripts/fetch_pretrained.py`")
    config = paper_config(
        content=paper_image("louvre_small.jpg"),
        style=paper_image("monet.jpg"),
        vgg_path=WEIGHTS,
        output_dir=str(tmp_path),
        num_iterations=1,
    )
    result = stylize.stylize(config)
    ours, paper = result.trace[0], reproduce.reported_trace()[0]
    assert ours["iteration"] == paper["iteration"] == 0
    # Measured with the registry weights: -2.9% total, +0.6% content, -2.9% style
    # (docs/reproduction.md); the issue allows 15% at iteration 0.
    assert ours["total_cost"] == pytest.approx(paper["total_cost"], rel=0.05)
    assert ours["content_cost"] == pytest.approx(paper["content_cost"], rel=0.02)
    assert ours["style_cost"] == pytest.approx(paper["style_cost"], rel=0.05)

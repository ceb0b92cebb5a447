"""The batched-step benchmark times the step nst-tf-batch runs: N images, N costs."""

from __future__ import annotations

import numpy as np

from nst_tf.build import make_objective
from nst_tf.model import vgg
from nst_tf.tools import batch_benchmark
from tests.helpers import TINY_CHANNELS, paper_config


def test_batched_step_optimises_every_image():
    weights = vgg.random_weights(0, TINY_CHANNELS)
    step = batch_benchmark.batched_step(
        24, 16, 3, make_objective(paper_config(), weights, "float32")
    )
    first = step()
    assert np.isfinite(first) and step() < first  # the sum of three jobs' costs falls

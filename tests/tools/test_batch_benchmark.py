"""The batched-step benchmark times the step nst-tf-batch runs: N images, N costs."""

from __future__ import annotations

import numpy as np

from nst_tf.build import layers_of
from nst_tf.model import vgg
from nst_tf.tools import batch_benchmark
from tests.helpers import TINY_CHANNELS, paper_config


def test_batched_step_optimises_every_image():
    extractor = vgg.build_feature_extractor(
        vgg.random_weights(0, TINY_CHANNELS), layers_of(paper_config()), "avg"
    )
    step = batch_benchmark.batched_step(24, 16, 3, extractor)
    first = step()
    assert np.isfinite(first) and step() < first  # the sum of three jobs' costs falls

"""Recomputing blocks in the backward pass changes memory only: same features, same gradient."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst_tf import build as build_lib
from nst_tf.model import vgg
from nst_tf.model.recompute import RecomputedBlock
from nst_tf.runtime import memory
from tests.helpers import TINY_CHANNELS, paper_objective, prepare, tiny_config

STYLE_LAYERS = tuple((f"conv{block}_1", 0.2) for block in range(1, 6))


def _image(seed):
    return np.random.RandomState(seed).uniform(-120, 120, (1, 23, 17, 3)).astype(np.float32)


@pytest.mark.parametrize("pooling", vgg.POOLINGS)
def test_recompute_path_matches_the_plain_path(pooling):
    weights = vgg.random_weights(0, TINY_CHANNELS, bias_scale=0.1)
    layers = ["conv4_2", *(name for name, _ in STYLE_LAYERS)]
    results = {}
    for recompute in (False, True):
        extractor = vgg.build_feature_extractor(weights, layers, pooling, recompute=recompute)
        objective = paper_objective(extractor, style_layers=STYLE_LAYERS)
        targets = prepare(objective, _image(1), [_image(2)])
        image = tf.Variable(_image(3))

        @tf.function
        def gradient(objective=objective, image=image, targets=targets):
            with tf.GradientTape() as tape:
                J, _ = objective(image, targets)
            return J, tape.gradient(J, image)

        features = {name: value.numpy() for name, value in extractor(_image(3)).items()}
        results[recompute] = (features, *gradient())
    plain, recomputed = results[False], results[True]
    assert sorted(recomputed[0]) == sorted(layers)
    for name in layers:
        np.testing.assert_allclose(recomputed[0][name], plain[0][name], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(recomputed[1], plain[1], rtol=1e-6)
    assert np.abs(plain[2]).max() > 0
    np.testing.assert_allclose(
        recomputed[2], plain[2], rtol=1e-5, atol=1e-6 * np.abs(plain[2]).max()
    )


def test_build_recomputes_only_when_the_plain_step_does_not_fit(
    tiny_vgg_path, tiny_images, tmp_path, monkeypatch
):
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path)
    layers = build_lib.layers_of(config)
    plain = memory.estimate_peak_bytes(40, 30, layers)

    def recomputed_blocks(available):
        monkeypatch.setattr(memory, "available_bytes", lambda: available)
        extractor = build_lib.build(config).objective.extractor
        return [layer.name for layer in extractor.layers if isinstance(layer, RecomputedBlock)]

    assert recomputed_blocks(plain) == []
    assert recomputed_blocks(plain - 1) == ["block1", "block2", "block3", "block4", "block5"]

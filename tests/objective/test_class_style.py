"""Luan et al.'s augmented style loss: class masks carried through VGG, a Gram per class.

Against float64 NumPy transcriptions of their neuralstyle_seg.lua: the masks after every conv
(3x3 mean, zero padding counted) and pool (halved), the Grams over C H W mean(M), the loss
weighted by mean(M_content); and without segmentations, the style term as it was.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst_tf.batch import runner
from nst_tf.images.io import normalize
from nst_tf.images.segmentation import Segments
from nst_tf.model import vgg
from nst_tf.objective import losses, regions
from nst_tf.objective.features import TargetFeatures
from nst_tf.objective.terms import make_terms
from nst_tf.objective.terms.base import TermImages
from nst_tf.objective.terms.style import StyleTerm
from tests.helpers import paper_config, smooth_image, tiny_vgg_weights

LAYERS = (("conv1_1", 0.5), ("conv2_1", 0.25), ("conv3_1", 0.25))
ALL_STYLE_LAYERS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]


def _carry_reference(mask: np.ndarray, layers) -> dict[str, np.ndarray]:
    """neuralstyle_seg.lua L113-124 on one [H, W] mask, float64, SAME pools of 2x2 averages."""
    current = mask.astype(np.float64)
    carried = {}
    for name in vgg.VGG19_LAYERS[: max(vgg.VGG19_LAYERS.index(layer) for layer in layers) + 1]:
        if name.startswith("pool"):
            height, width = current.shape
            pooled = np.empty((-(-height // 2), -(-width // 2)))
            for i in range(pooled.shape[0]):
                for j in range(pooled.shape[1]):
                    pooled[i, j] = current[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].mean()
            current = pooled
        elif name.startswith("conv"):
            padded = np.pad(current, 1)
            current = (
                sum(
                    padded[dy : dy + current.shape[0], dx : dx + current.shape[1]]
                    for dy in range(3)
                    for dx in range(3)
                )
                / 9.0
            )  # nn.SpatialAveragePooling(3, 3, 1, 1, 1, 1): zero padding counted
            if name in layers:
                carried[name] = current
    return carried


def test_class_masks_are_carried_as_luans_code_carries_them():
    rng = np.random.RandomState(0)
    masks = (rng.uniform(size=(2, 37, 51)) > 0.5).astype(np.float32)  # odd sizes
    got = regions.class_layer_masks(masks, ALL_STYLE_LAYERS)
    for k in range(2):
        expected = _carry_reference(masks[k], ALL_STYLE_LAYERS)
        for name in ALL_STYLE_LAYERS:
            assert got[name].shape == (1, *expected[name].shape, 2), name
            np.testing.assert_allclose(got[name][0, :, :, k], expected[name], atol=1e-6)


def test_carried_masks_have_the_features_shape(extractor):
    masks = regions.class_layer_masks(np.ones((1, 15, 21), np.float32), ["conv1_1", "conv3_1"])
    features = extractor(np.zeros((1, 15, 21, 3), np.float32))
    for name in ("conv1_1", "conv3_1"):
        assert masks[name].shape[1:3] == features[name].shape[1:3]


def _class_grams_reference(a: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """[h, w, C] features, [h, w, K] masks -> [K, C, C]: (M a)^T (M a) / sum(M)."""
    grams = []
    for k in range(masks.shape[-1]):
        X = (a * masks[..., k : k + 1]).reshape(-1, a.shape[-1])
        grams.append(X.T @ X / masks[..., k].sum())
    return np.stack(grams)


def _luan_style_loss(a_G, masks_G, a_S, masks_S) -> float:
    """Their per-layer loss over strength: sum_k mean(M_k) MSE(G'_k, T'_k), float64.

    G'_k = (M a)(M a)^T / (C H W mean(M)) (L143-156, L521-533), the mean over C^2 entries.
    """
    n_C = a_G.shape[-1]
    total = 0.0
    for k in range(masks_G.shape[-1]):
        G = _class_grams_reference(a_G, masks_G[..., k : k + 1])[0] / n_C
        T = _class_grams_reference(a_S, masks_S[..., k : k + 1])[0] / n_C
        total += masks_G[..., k].mean() * np.mean((G - T) ** 2)
    return total


def test_class_cost_is_luans_loss_times_c_squared_over_4():
    # So lambda_l = 4 / C_l^2 (configs/luan2017.py) makes beta x cost their Gamma x loss.
    rng = np.random.RandomState(1)
    a_G, a_S = rng.uniform(-1, 2, (6, 7, 5)), rng.uniform(-1, 2, (8, 9, 5))
    masks_G = rng.uniform(0.05, 1.0, (6, 7, 3))
    masks_S = rng.uniform(0.05, 1.0, (8, 9, 3))
    targets = tf.constant(_class_grams_reference(a_S, masks_S)[np.newaxis], tf.float32)
    got = regions.class_style_cost(
        targets,
        tf.constant(a_G[np.newaxis], tf.float32),
        tf.constant(masks_G[np.newaxis], tf.float32),
    )
    expected = _luan_style_loss(a_G, masks_G, a_S, masks_S) * 5**2 / 4.0
    np.testing.assert_allclose(got, [expected], rtol=1e-5)
    np.testing.assert_allclose(
        regions.class_grams(
            tf.constant(a_G[np.newaxis], tf.float32), tf.constant(masks_G[np.newaxis], tf.float32)
        )[0],
        _class_grams_reference(a_G, masks_G),
        rtol=1e-5,
    )


def test_one_class_of_masks_of_ones_is_eq_2():
    rng = np.random.RandomState(2)
    a_G = tf.constant(rng.uniform(-1, 2, (1, 6, 7, 5)), tf.float32)
    a_S = tf.constant(rng.uniform(-1, 2, (1, 6, 7, 5)), tf.float32)
    ones = tf.ones((1, 6, 7, 1))
    got = regions.class_style_cost(regions.class_grams(a_S, ones), a_G, ones)
    expected = losses.layer_style_cost_from_gram(losses.activation_gram(a_S), a_G)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


@pytest.fixture(scope="module")
def extractor():
    kernels, biases = tiny_vgg_weights()
    weights = vgg.VggWeights(kernels, biases, None, None)
    return vgg.build_feature_extractor(weights, ["conv1_1", "conv2_1", "conv3_1"], "max")


def _two_classes(height: int, width: int, split: int) -> np.ndarray:
    masks = np.zeros((2, height, width), np.float32)
    masks[0, :split] = 1.0
    masks[1, split:] = 1.0
    return masks


def test_segmented_style_term_is_luans_loss_per_layer(extractor):
    content, style = normalize(smooth_image(21, 15, 1)), normalize(smooth_image(24, 18, 2))
    generated = normalize(smooth_image(21, 15, 3))
    segments = Segments(("blue", "white"), _two_classes(15, 21, 6), _two_classes(18, 24, 10))
    term = StyleTerm(LAYERS, 1e2, pooling="max", segmented=True)
    assert not term.batchable
    targets = term.prepare(
        TargetFeatures(extractor), TermImages(content, (style,), segments=segments)
    )
    got = term.cost(extractor(generated), generated, targets)
    assert list(got) == ["style", "style/conv1_1", "style/conv2_1", "style/conv3_1"]
    features_G = {k: v.numpy()[0].astype(np.float64) for k, v in extractor(generated).items()}
    features_S = {k: v.numpy()[0].astype(np.float64) for k, v in extractor(style).items()}
    names = [name for name, _ in LAYERS]
    total = 0.0
    for name, coeff in LAYERS:
        masks_G = np.stack([_carry_reference(m, names)[name] for m in segments.content], axis=-1)
        masks_S = np.stack([_carry_reference(m, names)[name] for m in segments.style], axis=-1)
        n_C = features_G[name].shape[-1]
        luan = _luan_style_loss(features_G[name], masks_G, features_S[name], masks_S)
        layer = coeff * luan * n_C**2 / 4.0
        np.testing.assert_allclose(got[f"style/{name}"], [layer], rtol=2e-4)
        total += layer
    np.testing.assert_allclose(got["style"], [total], rtol=2e-4)


def test_without_segmentations_the_style_term_is_eq_3_bit_for_bit(extractor):
    content, style = normalize(smooth_image(21, 15, 1)), normalize(smooth_image(21, 15, 2))
    generated = tf.constant(normalize(smooth_image(21, 15, 3)))
    term = StyleTerm(LAYERS, 40.0, pooling="max")
    assert term.batchable
    targets = term.prepare(TargetFeatures(extractor), TermImages(content, (style,)))
    features = extractor(generated)
    got = term.cost(features, generated, targets)["style"]
    grams = {name: losses.activation_gram(extractor(style)[name]) for name, _ in LAYERS}
    np.testing.assert_array_equal(got, losses.compute_style_cost(grams, features, LAYERS))


def test_segmented_or_photorealistic_jobs_run_one_at_a_time_in_batches():
    segmented = paper_config(content_segmentation="c.png", style_segmentation="s.png")
    assert not make_terms(segmented)[1].batchable
    assert "the style term" in runner.why_not_batched(segmented)
    assert "the photorealism term" in runner.why_not_batched(paper_config(photorealism_weight=1))

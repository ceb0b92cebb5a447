"""Li & Wand's MRF term against float64 NumPy transcriptions of their released code.

The references follow chuanli11/CNNMRF: `computegrid` (patch origins with a tail), the patches
as windows of the feature map, the match as the argmax of the cosine (divided by both norms, as
their `mrf.lua` does), and their update (add style - generated over the matched patches, divide
each position by its count), whose energy the term computes. Also: chunked matching equals
unchunked, the style copies' shapes, the gradient by central differences on the tiny network,
and the config running in nst-tf and nst-tf-batch.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.images import augment
from nst_tf.images.io import normalize, save_image
from nst_tf.model import vgg
from nst_tf.objective import patches
from nst_tf.objective.features import TargetFeatures
from nst_tf.objective.objective import Objective
from nst_tf.objective.terms import make_terms, term_names
from nst_tf.objective.terms.base import TermImages
from nst_tf.objective.terms.mrf import MrfTerm, layer_energy
from tests.helpers import paper_config, run_cli, smooth_image, tiny_vgg_weights

K = patches.PATCH


# ----------------------------------------------------------------------------- references


def ref_grid(length: int, stride: int) -> list[int]:
    """computegrid(..., flag_all = 1), 0-based: origins at the stride, plus the tail."""
    origins = list(range(0, length - K + 1, stride))
    return [*origins, length - K] if origins[-1] < length - K else origins


def ref_patches(features: np.ndarray, stride: int) -> np.ndarray:
    """[h, w, C] -> [P, k k C]: the windows at the grid's origins, row-major."""
    h, w, _ = features.shape
    return np.stack(
        [
            features[row : row + K, col : col + K, :].reshape(-1)
            for row in ref_grid(h, stride)
            for col in ref_grid(w, stride)
        ]
    )


def ref_matches(generated: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Index of each generated patch's match: the cosine, divided by both norms as theirs."""
    scores = generated @ style.T
    scores /= np.linalg.norm(generated, axis=1)[:, None] * np.linalg.norm(style, axis=1)[None]
    return np.argmax(scores, axis=1)


def ref_update(features: np.ndarray, style: np.ndarray, stride: int) -> np.ndarray:
    """Their gradTO (mrf.lua): sum of (style - generated) over matched patches, per count."""
    h, w, channels = features.shape
    matched = style[ref_matches(ref_patches(features, stride), style)]
    total, count = np.zeros_like(features), np.full((h, w), 1e-10)
    index = 0
    for row in ref_grid(h, stride):
        for col in ref_grid(w, stride):
            window = features[row : row + K, col : col + K, :]
            total[row : row + K, col : col + K] += matched[index].reshape(K, K, channels) - window
            count[row : row + K, col : col + K] += 1
            index += 1
    return total / count[:, :, None]


def ref_energy(features: np.ndarray, style: np.ndarray, stride: int) -> float:
    """1/2 sum over matched patches and their positions q of (p - s)^2 / n_q."""
    h, w, channels = features.shape
    matched = style[ref_matches(ref_patches(features, stride), style)]
    count = np.zeros((h, w))
    for row in ref_grid(h, stride):
        for col in ref_grid(w, stride):
            count[row : row + K, col : col + K] += 1
    energy, index = 0.0, 0
    for row in ref_grid(h, stride):
        for col in ref_grid(w, stride):
            window = features[row : row + K, col : col + K, :]
            squares = (window - matched[index].reshape(K, K, channels)) ** 2
            energy += 0.5 * np.sum(squares / count[row : row + K, col : col + K, None])
            index += 1
    return energy


def _relu_like(rng, *shape) -> np.ndarray:
    """Non-negative, with exact zeros, as ReLU features are."""
    return np.maximum(rng.randn(*shape), 0.0)


def _table(style: np.ndarray, chunk: int) -> tuple[tf.Tensor, tf.Tensor]:
    return patches.chunk_table(style.astype(np.float32), chunk)


# ----------------------------------------------------------------------------- patches


@pytest.mark.parametrize("length, stride", [(10, 2), (9, 2), (3, 2), (11, 3), (7, 1), (12, 4)])
def test_grid_is_theirs_with_the_tail(length, stride):
    assert patches.grid(length, stride).tolist() == ref_grid(length, stride)


def test_grid_refuses_a_map_smaller_than_a_patch():
    with pytest.raises(ValueError, match="does not fit"):
        patches.grid(2, 2)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_patches_are_the_feature_maps_windows(stride):
    rng = np.random.RandomState(0)
    features = rng.randn(2, 7, 8, 3)
    grid = patches.PatchGrid.of(7, 8, stride)
    got = grid.extract(tf.constant(features, tf.float32)).numpy()
    for n in range(2):
        np.testing.assert_allclose(got[n], ref_patches(features[n], stride), rtol=1e-6)


@pytest.mark.parametrize("stride", [2, 4])
def test_coverage_counts_the_patches_over_each_position(stride):
    grid = patches.PatchGrid.of(9, 10, stride)
    expected = np.zeros((9, 10))
    for row in ref_grid(9, stride):
        for col in ref_grid(10, stride):
            expected[row : row + K, col : col + K] += 1
    np.testing.assert_array_equal(grid.coverage(9, 10), expected)
    inverse = grid.inverse_coverage(9, 10)  # in the patches' (dy, dx) order
    windows = ref_patches(1.0 / np.maximum(expected, 1)[:, :, None], stride)
    np.testing.assert_allclose(inverse, windows, rtol=1e-12)


def test_nearest_is_the_normalised_cross_correlation_argmax():
    rng = np.random.RandomState(1)
    generated, style = _relu_like(rng, 2, 30, 27), _relu_like(rng, 50, 27)
    style[7] *= 40.0  # a large patch: a raw correlation would pick it, the cosine does not
    got = patches.nearest(tf.constant(generated, tf.float32), *_table(style, 50)).numpy()
    for n in range(2):
        expected = style[ref_matches(generated[n], style)]
        np.testing.assert_allclose(got[n], expected, rtol=1e-6)
    raw = np.argmax(generated[0] @ style.T, axis=1)
    assert (raw == 7).sum() > (ref_matches(generated[0], style) == 7).sum()


@pytest.mark.parametrize("chunk", [1, 7, 16, 49])
def test_chunked_matching_equals_unchunked(chunk):
    rng = np.random.RandomState(2)
    generated, style = _relu_like(rng, 1, 40, 18), _relu_like(rng, 49, 18)
    style[3] = style[30]  # equal scores: both keep the first
    whole = patches.nearest(tf.constant(generated, tf.float32), *_table(style, 49)).numpy()
    chunked = patches.nearest(tf.constant(generated, tf.float32), *_table(style, chunk))
    np.testing.assert_array_equal(chunked.numpy(), whole)


def test_a_zero_style_patch_scores_zero_and_a_zero_generated_patch_is_still_matched():
    rng = np.random.RandomState(3)
    style = _relu_like(rng, 6, 18)
    style[0] = 0.0
    table, inverse = _table(style, 4)
    assert inverse[0, 0] == 0 and np.isfinite(inverse.numpy()).all()
    generated = np.concatenate([np.zeros((1, 18)), _relu_like(rng, 3, 18)])[None]
    got = patches.nearest(tf.constant(generated, tf.float32), table, inverse)
    assert np.isfinite(got.numpy()).all()
    # Not the zero patch (the cosine's 0/0): the best of the others.
    expected = style[1:][ref_matches(generated[0, 1:], style[1:])]
    np.testing.assert_allclose(got[0, 1:], expected, rtol=1e-6)


# ----------------------------------------------------------------------------- energy


@pytest.mark.parametrize("stride", [1, 2])
def test_energy_is_the_reference_and_its_gradient_is_their_update(stride):
    rng = np.random.RandomState(4)
    features = _relu_like(rng, 2, 9, 8, 4)
    style = ref_patches(_relu_like(rng, 11, 12, 4), 2)
    table, inverse = _table(style, 16)
    x = tf.Variable(features.astype(np.float32))
    with tf.GradientTape() as tape:
        energy = layer_energy(x, table, inverse, stride)
    gradient = tape.gradient(energy, x).numpy()
    for n in range(2):
        assert energy[n].numpy() == pytest.approx(ref_energy(features[n], style, stride), rel=1e-5)
        # Their backward pass applies -weight x gradTO: the gradient of this energy.
        np.testing.assert_allclose(
            gradient[n], -ref_update(features[n], style, stride), rtol=1e-4, atol=1e-5
        )


# ----------------------------------------------------------------------------- the term


@pytest.fixture(scope="module")
def extractor():
    kernels, biases = tiny_vgg_weights()
    weights = vgg.VggWeights(kernels, biases, None, None)
    return vgg.build_feature_extractor(weights, ["conv3_1", "conv4_1", "conv4_2"], "max")


def _image(width, height, seed):
    return normalize(smooth_image(width, height, seed))


def test_term_prepares_every_style_copys_patches_and_costs_each_layer(extractor):
    content, style, generated = _image(40, 32, 1), _image(48, 36, 7), _image(40, 32, 3)
    term = MrfTerm((("conv3_1", 1.0), ("conv4_1", 0.5)), 1e-4, rotations=1, scales=1)
    targets = term.prepare(TargetFeatures(extractor), TermImages(content, (style,)))
    got = term.cost(extractor(generated), generated, targets)
    assert list(got) == ["mrf", "mrf/conv3_1", "mrf/conv4_1"]
    copies = augment.style_copies(style, 1, 1)
    features = extractor(generated)
    for name, coeff in term.weighted_layers:
        pool = []
        for copy in copies:
            value = extractor(copy)[name].numpy()[0].astype(np.float64)
            if min(value.shape[:2]) >= K:
                pool.append(ref_patches(value, 2))
        style_patches = np.concatenate(pool)
        table = targets[name]["table"].numpy()[0].reshape(-1, style_patches.shape[1])
        np.testing.assert_allclose(table[: len(style_patches)], style_patches, rtol=1e-5)
        a_G = features[name].numpy()[0].astype(np.float64)
        expected = coeff * ref_energy(a_G, style_patches, 2)
        assert got[f"mrf/{name}"].numpy()[0] == pytest.approx(expected, rel=1e-4)
    total = got["mrf/conv3_1"] + got["mrf/conv4_1"]
    np.testing.assert_allclose(got["mrf"], total, rtol=1e-6)


def test_term_chunks_by_its_score_budget_and_gives_the_same_cost(extractor):
    content, style, generated = _image(40, 32, 1), _image(40, 32, 7), _image(40, 32, 3)
    images = TermImages(content, (style,))
    costs = {}
    for budget in (2**24, 50):
        term = MrfTerm((("conv3_1", 1.0),), 1.0, score_budget=budget)
        targets = term.prepare(TargetFeatures(extractor), images)
        chunks = targets["conv3_1"]["table"].shape[1]
        costs[chunks] = term.cost(extractor(generated), generated, targets)["mrf"].numpy()
    assert sorted(costs) == [1, 10]  # 20 patches each: 50 // 20 = 2 style patches a chunk
    np.testing.assert_array_equal(costs[1], costs[10])


def test_term_refuses_maps_too_small_for_a_patch_and_masks(extractor):
    features = TargetFeatures(extractor)
    term = MrfTerm((("conv4_1", 1.0),), 1.0)
    small = _image(20, 16, 1)  # conv4_1 is 3x2
    with pytest.raises(UserError, match=r"conv4_1 is 3x2 for a 20x16 image"):
        term.prepare(features, TermImages(small, (_image(40, 32, 7),)))
    with pytest.raises(UserError, match="too small for 3x3 patches at --mrf_layers conv4_1"):
        term.prepare(features, TermImages(_image(40, 32, 1), (small,)))
    mask = np.ones((32, 40), np.float32)
    with pytest.raises(UserError, match="--style_masks cannot be used with the mrf term"):
        term.prepare(features, TermImages(_image(40, 32, 1), (small,), (mask,)))


def test_gradient_through_the_network_matches_central_differences(extractor):
    rng = np.random.RandomState(5)
    content, style = _image(32, 24, 1), _image(32, 24, 7)
    objective = Objective(extractor, [MrfTerm((("conv3_1", 1.0), ("conv4_1", 1.0)), 1.0)])
    targets = objective.prepare(TermImages(content, (style,)))
    x0 = content + rng.uniform(-20, 20, content.shape).astype(np.float32)
    image = tf.Variable(x0)
    with tf.GradientTape() as tape:
        J, _ = objective(image, targets)
    g = tape.gradient(J, image).numpy().astype(np.float64)
    typical = np.linalg.norm(g) / np.sqrt(g.size)

    def J_at(x):
        return float(objective(tf.constant(x, tf.float32), targets)[0])

    # As tests/objective/test_gradient.py: a step that rises above float32 rounding (J ~ 4e5)
    # and crosses few ReLU kinks; no match changes within it here (a change would show as a
    # jump of the energy, far beyond the tolerance).
    h = 0.3
    for _ in range(3):
        d = rng.randn(*x0.shape)
        d /= np.linalg.norm(d)
        numeric = (J_at(x0 + h * d) - J_at(x0 - h * d)) / (2 * h)
        analytic = float(np.sum(g * d))
        assert abs(numeric) > 0.05 * typical
        assert abs(analytic - numeric) <= 2e-2 * max(abs(numeric), typical), (analytic, numeric)


# ----------------------------------------------------------------------------- style copies


def test_style_copies_are_their_rotations_and_scales():
    style = np.ones((1, 60, 80, 3), np.float32)
    copies = augment.style_copies(style, 1, 1)
    assert len(copies) == 9 and len(augment.style_copies(style, 3, 3)) == 49
    (alone,) = augment.style_copies(style, 0, 0)
    np.testing.assert_array_equal(alone, style)
    np.testing.assert_array_equal(copies[4], style)  # rotation 0, scale 1: the style itself
    for index, copy in enumerate(copies):
        rotation, scale = index // 3 - 1, index % 3 - 1
        u, v = augment.inscribed_box(80, 60, rotation * math.pi / 24)
        base = (80, 60) if rotation == 0 else (
            math.floor(40 + u) - math.ceil(40 - u), math.floor(30 + v) - math.ceil(30 - v)
        )  # fmt: skip
        long_side = math.floor(max(base) * 1.05**scale) if scale else max(base)
        assert copy.shape[0] == 1 and copy.shape[3] == 3
        assert max(copy.shape[1:3]) == long_side, (index, copy.shape)
        # Cropped to the box: no empty (zero) corner of the rotation is left.
        assert copy.min() > 0.5, (index, copy.min())


@pytest.mark.parametrize("angle", [math.pi / 24, -math.pi / 24, 3 * math.pi / 24])
def test_inscribed_box_corners_lie_in_the_rotated_picture(angle):
    width, height = 80, 60
    u, v = augment.inscribed_box(width, height, angle)
    assert 0 < u < width / 2 and 0 < v < height / 2
    c, s = math.cos(angle), math.sin(angle)
    for x, y in ((u, v), (-u, v), (u, -v), (-u, -v)):
        back_x, back_y = c * x - s * y, s * x + c * y  # into the picture's own frame
        assert abs(back_x) <= width / 2 + 1e-9 and abs(back_y) <= height / 2 + 1e-9
    # Their construction: the box's top meets the picture's left border on the rotated top edge.
    top_at_left = (width / 2 * math.sin(abs(angle)) - height / 2) / math.cos(angle)
    assert -v == pytest.approx(top_at_left)


# ----------------------------------------------------------------------------- config and CLI


def test_mrf_joins_with_a_positive_weight_and_is_not_batchable():
    config = paper_config(mrf_weight=1e-4)
    assert term_names(config) == ["content", "style", "mrf"]
    assert not next(term for term in make_terms(config) if term.name == "mrf").batchable
    assert term_names(paper_config()) == ["content", "style"]


def test_li_wand_config_reads_as_theirs():
    config = make_config(load_config_table("li_wand2016"))
    assert term_names(config) == ["content", "mrf", "tv"]
    assert (config.mrf_weight, config.alpha, config.tv_weight) == (1e-4, 20.0, 1e-3)
    assert config.content_normalization == "mean" and config.pooling == "max"
    assert (config.init, config.optimizer, config.scales) == ("content", "lbfgs", (100, 200, 400))
    with pytest.raises(UserError, match="--mrf_style_stride must be a positive integer"):
        make_config(load_config_table("li_wand2016"), {"mrf_style_stride": 0})
    with pytest.raises(UserError, match="unknown VGG-19 layer relu3_1"):
        make_config(load_config_table("li_wand2016"), {"mrf_layers": "relu3_1:1"})


def _tiny_pair(tmp_path):
    content, style = str(tmp_path / "c.png"), str(tmp_path / "s.jpg")
    save_image(content, smooth_image(40, 30, seed=1))
    save_image(style, smooth_image(40, 30, seed=7))
    return content, style


def test_li_wand_runs_in_nst_tf_and_alone_in_nst_tf_batch(tiny_vgg_path, tmp_path):
    content, style = _tiny_pair(tmp_path)
    common = [f"--vgg_path={tiny_vgg_path}", "--scales=32,40", "--num_iterations=1"]
    common += ["--notensorboard", "--config=li_wand2016"]
    single = run_cli(f"--content={content}", f"--style={style}", f"--output_dir={tmp_path / 'a'}",
                     *common)  # fmt: skip
    assert single.returncode == 0, single.stderr
    assert "total cost = " in single.stderr and "style cost" not in single.stderr
    with open(tmp_path / "a" / "trace.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["style_cost"] == "" and float(rows[-1]["mrf/conv4_1"]) > 0
    batch = subprocess.run(
        [sys.executable, "-m", "nst_tf.batch_cli", f"--contents={content}", f"--styles={style}",
         f"--output_dir={tmp_path / 'b'}", *common],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert batch.returncode == 0, batch.stderr
    assert "Jobs run one by one" in batch.stderr
    with open(tmp_path / "b" / "summary.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["status"] == "completed" and row["style_cost"] == ""
    assert float(row["total_cost"]) > 0


def test_mrf_settings_are_in_helpfull():
    out = run_cli("--helpfull").stdout
    for flag in ("mrf_weight", "mrf_layers", "mrf_stride", "mrf_style_stride", "mrf_rotations",
                 "mrf_scales"):  # fmt: skip
        assert f"--{flag}" in out, flag

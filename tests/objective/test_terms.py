"""The cost terms (content, style, tv) and the objective over them, against float64 NumPy.

Also: the objective's targets are arguments of the compiled step, so one traced step serves
several jobs of one size, and jobs' targets stack into a batch whose costs are each job's own.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst_tf.images.io import normalize
from nst_tf.model import vgg
from nst_tf.objective import losses
from nst_tf.objective.features import TargetFeatures
from nst_tf.objective.objective import Objective, stack_targets
from nst_tf.objective.terms import make_terms, term_names
from nst_tf.objective.terms.base import TermImages
from nst_tf.objective.terms.content import ContentTerm
from nst_tf.objective.terms.style import StyleTerm, blend_grams
from nst_tf.objective.terms.tv import TotalVariationTerm, total_variation
from nst_tf.optim.adam import AdamOptimizer
from tests.helpers import paper_config, paper_objective, prepare, smooth_image, tiny_vgg_weights

LAYERS = (("conv1_1", 0.5), ("conv3_1", 0.5))


@pytest.fixture(scope="module")
def extractor():
    kernels, biases = tiny_vgg_weights()
    weights = vgg.VggWeights(kernels, biases, None, None)
    return vgg.build_feature_extractor(weights, ["conv4_2", "conv5_2", "conv1_1", "conv3_1"])


def _features(extractor, image):
    return {name: value.numpy().astype(np.float64) for name, value in extractor(image).items()}


def _gram(a):
    X = a.reshape(-1, a.shape[-1])
    return X.T @ X


def _image(width, height, seed):
    return normalize(smooth_image(width, height, seed))


def test_content_term_weights_its_layers_and_names_each_part(extractor):
    content, generated = _image(20, 15, 1), _image(20, 15, 3)
    term = ContentTerm((("conv4_2", 1.0), ("conv5_2", 0.5)), weight=10.0)
    targets = term.prepare(TargetFeatures(extractor), TermImages(content, ()))
    got = term.cost(extractor(generated), generated, targets)
    assert list(got) == ["content", "content/conv4_2", "content/conv5_2"]
    a_C, a_G = _features(extractor, content), _features(extractor, generated)
    expected = {}
    for name, weight in term.weighted_layers:
        _, n_H, n_W, n_C = a_G[name].shape
        expected[name] = weight * np.sum((a_C[name] - a_G[name]) ** 2) / (4 * n_H * n_W * n_C)
    np.testing.assert_allclose(got["content/conv5_2"], [expected["conv5_2"]], rtol=1e-5)
    np.testing.assert_allclose(got["content"], [sum(expected.values())], rtol=1e-5)
    gatys = ContentTerm((("conv4_2", 1.0),), 1.0, "gatys2016")
    half_sum = 0.5 * np.sum((a_C["conv4_2"] - a_G["conv4_2"]) ** 2)
    got = gatys.cost(
        extractor(generated),
        generated,
        gatys.prepare(TargetFeatures(extractor), TermImages(content, ())),
    )
    np.testing.assert_allclose(got["content"], [half_sum], rtol=1e-5)


def test_one_content_layer_is_the_papers_eq_1_bit_for_bit(extractor):
    content, generated = _image(20, 15, 1), _image(20, 15, 3)
    term = ContentTerm((("conv4_2", 1.0),), 10.0)
    targets = term.prepare(TargetFeatures(extractor), TermImages(content, ()))
    got = term.cost(extractor(generated), generated, targets)
    assert list(got) == ["content"]
    paper = losses.compute_content_cost(
        extractor(content)["conv4_2"], extractor(generated)["conv4_2"]
    )
    np.testing.assert_array_equal(got["content"], paper)


def test_style_term_is_eq_3_against_a_float64_reference(extractor):
    content, style, generated = _image(20, 15, 1), _image(20, 15, 2), _image(20, 15, 3)
    term = StyleTerm(LAYERS, 40.0)
    targets = term.prepare(TargetFeatures(extractor), TermImages(content, (style,)))
    got = term.cost(extractor(generated), generated, targets)
    assert list(got) == ["style", "style/conv1_1", "style/conv3_1"]
    a_S, a_G = _features(extractor, style), _features(extractor, generated)
    total = 0.0
    for name, coeff in LAYERS:
        _, n_H, n_W, n_C = a_G[name].shape
        layer = coeff * np.sum((_gram(a_S[name]) - _gram(a_G[name])) ** 2)
        layer /= 4.0 * n_C**2 * (n_H * n_W) ** 2
        np.testing.assert_allclose(got[f"style/{name}"], [layer], rtol=1e-4)
        total += layer
    np.testing.assert_allclose(got["style"], [total], rtol=1e-4)


def test_style_gram_at_the_generated_size_is_the_papers_bit_for_bit(extractor):
    content, style = _image(20, 15, 1), _image(20, 15, 2)
    targets = StyleTerm(LAYERS, 1.0).prepare(
        TargetFeatures(extractor), TermImages(content, (style,))
    )
    (grams,) = targets["grams"]
    for name, _ in LAYERS:
        np.testing.assert_array_equal(grams[name], losses.activation_gram(extractor(style)[name]))


def test_style_gram_at_another_size_is_scaled_by_the_ratio_of_positions(extractor):
    content, style = _image(20, 15, 1), _image(36, 28, 2)
    targets = StyleTerm(LAYERS, 1.0).prepare(
        TargetFeatures(extractor), TermImages(content, (style,))
    )
    # conv1_1: 20x15 vs 36x28 positions; conv3_1 after two SAME pools: 5x4 vs 9x7.
    for name, ratio in (("conv1_1", 300 / 1008), ("conv3_1", 20 / 63)):
        expected = losses.activation_gram(extractor(style)[name]).numpy() * ratio
        np.testing.assert_allclose(targets["grams"][0][name], expected, rtol=1e-6)


def test_blend_is_the_normalised_weighted_sum_of_grams():
    a = {"conv1_1": tf.constant([[1.0, 2.0], [2.0, 5.0]])}
    b = {"conv1_1": tf.constant([[3.0, 0.0], [0.0, 1.0]])}
    got = blend_grams([a, b], [1.0, 3.0])["conv1_1"].numpy()
    np.testing.assert_allclose(got, 0.25 * a["conv1_1"].numpy() + 0.75 * b["conv1_1"].numpy())
    assert blend_grams([a, b], [2.0, 0.0]) is a  # one style left: its own Grams, untouched


def test_blend_of_a_style_with_itself_is_that_style(extractor):
    content, style = _image(20, 15, 1), _image(20, 15, 2)
    single = StyleTerm(LAYERS, 1.0).prepare(
        TargetFeatures(extractor), TermImages(content, (style,))
    )
    twice = StyleTerm(LAYERS, 1.0, [0.5, 0.5]).prepare(
        TargetFeatures(extractor), TermImages(content, (style, style))
    )
    for name, _ in LAYERS:
        np.testing.assert_array_equal(twice["grams"][0][name], single["grams"][0][name])


def _tv_reference(x):
    """jcjohnson/neural-style's TVLoss energy, in float64: 1/2 sum over [0,H-1) x [0,W-1)."""
    x = x.astype(np.float64)
    corner = x[:, :-1, :-1]
    return 0.5 * np.sum(
        (x[:, :-1, 1:] - corner) ** 2 + (x[:, 1:, :-1] - corner) ** 2, axis=(1, 2, 3)
    )


def _tv_gradient_reference(x):
    """neural_style.lua TVLoss:updateGradInput, transcribed (strength 1), channels last."""
    x = x.astype(np.float64)
    grad = np.zeros_like(x)
    x_diff = x[:, :-1, :-1] - x[:, :-1, 1:]
    y_diff = x[:, :-1, :-1] - x[:, 1:, :-1]
    grad[:, :-1, :-1] += x_diff + y_diff
    grad[:, :-1, 1:] -= x_diff
    grad[:, 1:, :-1] -= y_diff
    return grad


def test_tv_is_jcjohnsons_energy_and_its_gradient_is_theirs():
    x = np.random.RandomState(0).uniform(-100, 100, (2, 7, 9, 3)).astype(np.float32)
    image = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(image)
        value = total_variation(image)
    np.testing.assert_allclose(value, _tv_reference(x), rtol=1e-5)
    np.testing.assert_allclose(
        tape.gradient(value, image), _tv_gradient_reference(x), rtol=1e-4, atol=1e-3
    )
    flat = np.full((1, 5, 6, 3), 42.0, np.float32)
    assert float(total_variation(tf.constant(flat))[0]) == 0.0


def test_terms_are_chosen_by_name_and_optional_ones_by_weight():
    assert term_names(paper_config()) == ["content", "style"]
    assert term_names(paper_config(tv_weight=1e-3)) == ["content", "style", "tv"]
    assert term_names(paper_config(terms=("content", "tv"))) == ["content", "tv"]
    terms = make_terms(paper_config(tv_weight=1e-3, content_layer="conv4_2:1,conv5_2:0.5"))
    assert [type(term) for term in terms] == [ContentTerm, StyleTerm, TotalVariationTerm]
    assert terms[0].weighted_layers == (("conv4_2", 1.0), ("conv5_2", 0.5))
    assert [term.weight for term in terms] == [10.0, 40.0, 1e-3]


def test_objective_is_the_weighted_sum_of_its_terms(extractor):
    content, style, generated = _image(20, 15, 1), _image(20, 15, 2), _image(20, 15, 3)
    objective = Objective(
        extractor,
        [ContentTerm((("conv4_2", 1.0),), 10.0), StyleTerm(LAYERS, 40.0), TotalVariationTerm(1e-3)],
    )
    targets = prepare(objective, content, [style])
    J, terms = objective(tf.constant(generated), targets)
    assert list(terms) == ["total", "content", "style", "style/conv1_1", "style/conv3_1", "tv"]
    expected = 10.0 * terms["content"] + 40.0 * terms["style"] + 1e-3 * terms["tv"]
    np.testing.assert_allclose(terms["total"], expected, rtol=1e-6)
    np.testing.assert_allclose(J, np.sum(terms["total"]), rtol=1e-6)


def test_one_traced_step_serves_two_jobs_with_each_jobs_own_result(extractor):
    objective = paper_objective(extractor, style_layers=LAYERS)
    jobs = [(_image(20, 15, seed), _image(20, 15, seed + 10)) for seed in (1, 2)]
    targets = [prepare(objective, content, [style]) for content, style in jobs]
    starts = [content * 0.5 for content, _ in jobs]

    def trace(optimizer, job):
        return [float(optimizer.step(targets[job])["total"][0]) for _ in range(3)]

    shared = AdamOptimizer(objective, starts[0], 2.0, jit=False)
    first = trace(shared, 0)
    shared.reset(starts[1])
    second = trace(shared, 1)
    assert shared.step_function.experimental_get_tracing_count() == 1
    alone = AdamOptimizer(objective, starts[1], 2.0, jit=False)
    assert second == trace(alone, 1)  # the reset optimizer is a fresh one, bit for bit
    assert first != second


def test_stacked_targets_give_each_job_its_own_costs(extractor):
    objective = paper_objective(extractor, style_layers=LAYERS)
    contents = [_image(20, 15, 1), _image(20, 15, 2)]
    targets = [
        prepare(objective, content, [_image(20, 15, 5 + i)]) for i, content in enumerate(contents)
    ]
    images = [content * 0.5 for content in contents]
    _, batched = objective(tf.constant(np.concatenate(images)), stack_targets(targets))
    for index, image in enumerate(images):
        _, single = objective(tf.constant(image), targets[index])
        for name, value in single.items():
            np.testing.assert_allclose(batched[name][index], value[0], rtol=1e-5)

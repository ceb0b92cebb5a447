"""Runs in-process: determinism, the loop's logging convention, bad inputs, interrupts."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from nst_tf import stylize
from nst_tf.errors import UserError
from nst_tf.images import io as images
from nst_tf.model import vgg
from nst_tf.optim import loop as optimize
from tests.helpers import paper_config, smooth_image


def tiny_config(tiny_vgg_path, tiny_images, output_dir, **overrides):
    content, style = tiny_images
    settings = dict(content=content, style=style, vgg_path=tiny_vgg_path)
    settings.update(output_dir=str(output_dir), width=40, height=30, num_iterations=4)
    settings.update(log_every=1, save_every=100)
    return paper_config(**{**settings, **overrides})


def test_same_seed_same_trace_other_seed_other_trace(tiny_vgg_path, tiny_images, tmp_path):
    def costs(seed, name):
        result = stylize.stylize(
            tiny_config(tiny_vgg_path, tiny_images, tmp_path / name, seed=seed)
        )
        return [(row["total_cost"], row["content_cost"], row["style_cost"]) for row in result.trace]

    first, again, other = costs(3, "a"), costs(3, "b"), costs(4, "c")
    assert first == again
    assert first != other


class _Recorder:
    def __init__(self):
        self.logged, self.saved = [], []

    def on_log(self, iteration, costs, seconds):
        self.logged.append((iteration, costs))

    def on_save(self, iteration, image):
        self.saved.append((iteration, image))


def _tiny_step(tiny_vgg_path):
    weights = vgg.read_matconvnet(tiny_vgg_path)
    layers = [("conv1_1", 0.5), ("conv3_1", 0.5)]
    extractor = vgg.build_feature_extractor(weights, ["conv2_2", "conv1_1", "conv3_1"])
    content = images.normalize(smooth_image(16, 12, 1))
    style = images.normalize(smooth_image(16, 12, 2))
    targets = optimize.compute_targets(extractor, content, style, "conv2_2", layers)
    initial = images.generate_noise_image(content, seed=0)
    return lambda: optimize.StyleTransferStep(
        extractor, targets, initial, "conv2_2", layers, 10.0, 40.0, 2.0
    )


def test_logged_costs_are_those_after_the_update_as_in_the_paper(tiny_vgg_path):
    make_step = _tiny_step(tiny_vgg_path)
    recorder = _Recorder()
    final = optimize.run_loop(make_step(), 7, log_every=3, save_every=2, hooks=recorder)

    reference = make_step()
    after_update = []
    for _ in range(7):
        reference.step()
        after_update.append((reference.costs(), reference.image.numpy()))
    assert [i for i, _ in recorder.logged] == [0, 3, 6]  # 6 is the last: one extra evaluation
    for iteration, costs in recorder.logged:
        expected = after_update[iteration][0]
        assert costs.total == pytest.approx(expected.total, rel=1e-5)
        assert costs.style == pytest.approx(expected.style, rel=1e-5)
        assert costs.content == pytest.approx(expected.content, rel=1e-5)
    assert [i for i, _ in recorder.saved] == [0, 2, 4, 6]
    for iteration, image in recorder.saved:
        np.testing.assert_allclose(image, after_update[iteration][1], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(final, after_update[-1][1], rtol=1e-5, atol=1e-4)


def test_style_cost_falls_and_content_is_matched(tiny_vgg_path, tiny_images, tmp_path):
    result = stylize.stylize(
        tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=30, log_every=29)
    )
    first, last = result.trace[0], result.trace[-1]
    assert last["style_cost"] < first["style_cost"] / 3
    assert np.isfinite([last["total_cost"], last["content_cost"]]).all()


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"content": "missing.png"}, "missing.png"),
        ({"style": None}, "--content and --style"),
        ({"width": -3}, "--width must be a positive integer"),
        ({"height": 0}, "--height must be a positive integer"),
        ({"num_iterations": 0}, "--num_iterations"),
        ({"content_layer": "conv6_1"}, "unknown VGG-19 layer conv6_1"),
        ({"style_layers": "conv1_1=0.2"}, "unknown VGG-19 layer conv1_1=0.2"),
        ({"style_layers": "conv1_1:heavy"}, "is not NAME:WEIGHT"),
        ({"pooling": "median"}, "--pooling must be one of"),
        ({"seed": -1}, "--seed must be within"),
    ],
)
def test_bad_settings_raise_user_error(overrides, expected, tiny_vgg_path, tiny_images, tmp_path):
    with pytest.raises(UserError) as error:
        stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path, **overrides))
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_non_image_and_bad_weights_and_unwritable_output(tiny_vgg_path, tiny_images, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    truncated = tmp_path / "truncated.mat"
    with open(tiny_vgg_path, "rb") as handle:
        truncated.write_bytes(handle.read()[:5000])
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cases = [
        ({"content": str(text)}, "notes.jpg"),
        ({"vgg_path": str(truncated)}, "truncated.mat"),
        ({"vgg_path": str(text)}, "notes.jpg"),
        ({"output_dir": str(blocker / "out")}, "cannot write to output directory"),
    ]
    for overrides, expected in cases:
        output_dir = overrides.pop("output_dir", tmp_path / "out")
        with pytest.raises(UserError) as error:
            stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, output_dir, **overrides))
        assert expected in str(error.value) and "\n" not in str(error.value), overrides


def test_interrupt_keeps_finished_outputs(tiny_vgg_path, tiny_images, tmp_path, monkeypatch):
    calls = {"n": 0}
    real_step = optimize.StyleTransferStep.step

    def step_then_interrupt(self):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(optimize.StyleTransferStep, "step", step_then_interrupt)
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=10, save_every=1)
    with pytest.raises(KeyboardInterrupt):
        stylize.stylize(config)
    written = set(os.listdir(tmp_path))
    assert {"0.png", "1.png", "2.png", "trace.csv", "generated_image.jpg", "config.json"} <= written
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["status"] == "interrupted" and record["completed_iterations"] == 3
    assert not [name for name in written if ".tmp" in name]
    assert tf.io.gfile.exists(str(tmp_path / "generated_image.jpg"))

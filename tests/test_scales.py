"""Coarse to fine (--scales): the schedule, bicubic upsampling, each scale a run of its own size
with targets from the original images, one global trace, resume into the checkpoint's scale."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest

from nst_tf import build as build_lib
from nst_tf import stylize
from nst_tf.errors import UserError
from nst_tf.images import io, sizes
from nst_tf.model import vgg
from nst_tf.outputs.writers import read_trace
from nst_tf.runtime import memory
from tests.helpers import TINY_CHANNELS, paper_config, smooth_image, tiny_config

SCALED = dict(scales=(20, 40), scale_iterations=(3, 2), log_every=1)


def test_schedule_keeps_the_content_aspect_and_numbers_iterations_globally():
    config = paper_config(scales=(200, 400, 800), scale_iterations=(150, 40, 10))
    scales = sizes.schedule((1000, 750), (400, 300), 200, config.scales, config.scale_iterations)
    assert [(s.width, s.height) for s in scales] == [(200, 150), (400, 300), (800, 600)]
    assert [(s.start, s.end) for s in scales] == [(0, 150), (150, 190), (190, 200)]
    assert stylize.total_iterations(config) == 200
    portrait = sizes.schedule((300, 451), (400, 300), 200, config.scales, config.scale_iterations)
    assert [(s.width, s.height) for s in portrait] == [(133, 200), (266, 400), (532, 800)]
    each = paper_config(scales=(100, 200), num_iterations=7)
    assert [s.iterations for s in sizes.schedule((4, 3), (4, 3), 7, each.scales)] == [7, 7]
    assert stylize.total_iterations(each) == 14
    assert stylize.total_iterations(paper_config()) == 200
    (one,) = sizes.schedule((1000, 750), (400, 300), 200)  # no --scales: the working size
    assert (one.width, one.height, one.start, one.end) == (400, 300, 0, 200)


def test_a_checkpoint_belongs_to_the_scale_it_was_taken_in():
    scales = sizes.schedule((4, 3), (4, 3), 5, (10, 20), (3, 2))
    assert [sizes.scale_at(scales, u).index for u in range(6)] == [0, 0, 0, 0, 1, 1]


def test_upsampling_is_bicubic_and_keeps_linear_ramps():
    y, x = np.mgrid[0:8, 0:10].astype(np.float32)
    ramp = np.stack([3 * x - 2 * y, x + y, -x], axis=-1)[np.newaxis]
    bigger = sizes.upsample(ramp, 20, 16)
    assert bigger.shape == (1, 16, 20, 3)
    # Half-pixel centres: output pixel j samples input coordinate (j + 0.5) / 2 - 0.5.
    yy, xx = (np.mgrid[0:16, 0:20].astype(np.float32) + 0.5) / 2 - 0.5
    expected = np.stack([3 * xx - 2 * yy, xx + yy, -xx], axis=-1)
    inner = (slice(None), slice(4, -4), slice(4, -4))
    np.testing.assert_allclose(bigger[inner], expected[np.newaxis][inner], atol=1e-4)
    # Bicubic, not bilinear: a curve is followed more closely between the samples.
    curve = np.sin(np.linspace(0, 3, 12, dtype=np.float32))[None, None, :, None].repeat(3, 3)
    fine_x = (np.arange(24, dtype=np.float32) + 0.5) / 2 - 0.5
    exact = np.sin(fine_x * 3 / 11)[4:-4]
    bicubic = sizes.upsample(curve, 24, 1)[0, 0, 4:-4, 0]
    assert (
        np.abs(bicubic - exact).max()
        < 0.5 * np.abs(np.interp(fine_x, np.arange(12), curve[0, 0, :, 0])[4:-4] - exact).max()
    )


def _tiny_inputs():
    return build_lib.Inputs(smooth_image(40, 30, seed=1), (smooth_image(40, 30, seed=7),))


def test_each_scale_starts_from_the_last_result_with_targets_from_the_originals():
    weights = vgg.random_weights(0, TINY_CHANNELS, bias_scale=0.1)
    inputs = _tiny_inputs()
    config = paper_config(content="c", style="s", **SCALED)
    runs = stylize.scale_runs(config, weights, 0, inputs)
    scale, run = next(runs)
    assert run.optimizer.image.shape == (1, 15, 20, 3) and (scale.start, scale.end) == (0, 3)
    for _ in range(3):
        run.optimizer.step(run.targets)
    coarse = run.optimizer.image.numpy()
    scale, run = next(runs)
    assert run.optimizer.image.shape == (1, 30, 40, 3) and (scale.start, scale.end) == (3, 5)
    assert run.optimizer.updates == 0  # a fresh optimizer
    np.testing.assert_array_equal(run.initial_image, sizes.upsample(coarse, 40, 30))
    # The 40 px targets equal a one-size build's from the original images, not from 20 px copies.
    direct = build_lib.build(
        paper_config(content="c", style="s", width=40, height=30), inputs, weights
    )
    np.testing.assert_allclose(
        run.targets["content"]["conv4_2"], direct.targets["content"]["conv4_2"], rtol=1e-5
    )
    for name, gram in direct.targets["style"]["grams"][0].items():
        np.testing.assert_allclose(run.targets["style"]["grams"][0][name], gram, rtol=1e-5)
    assert run.inputs.content.shape == (30, 40, 3)
    assert next(runs, None) is None


def test_a_scaled_run_writes_a_global_trace_and_the_output_size(
    tiny_vgg_path, tiny_images, tmp_path
):
    result = stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path, **SCALED))
    assert [row["iteration"] for row in result.trace] == [0, 1, 2, 3, 4]
    assert [row["long_side"] for row in result.trace] == [20, 20, 20, 40, 40]
    assert result.image.shape == (30, 40, 3)
    assert io.load_image(str(tmp_path / "generated_image.jpg"), 40, 30).shape == (30, 40, 3)
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["status"] == "completed" and record["completed_iterations"] == 5
    assert record["config"]["scales"] == [20, 40]


def _stop_after(monkeypatch, updates: int) -> None:
    calls = []

    def poll():
        calls.append(None)
        return "SIGTERM" if len(calls) == updates else None

    @contextlib.contextmanager
    def stop_requests():
        yield poll

    monkeypatch.setattr(stylize.signals, "stop_requests", stop_requests)


@pytest.mark.parametrize("stop_at", [3, 4])  # at the end of the first scale, inside the second
def test_resume_rebuilds_the_checkpoint_scale_and_continues_exactly(
    stop_at, tiny_vgg_path, tiny_images, tmp_path, monkeypatch
):
    whole = stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "a", **SCALED))
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path / "b", **SCALED)
    with monkeypatch.context() as patch:
        _stop_after(patch, stop_at)
        with pytest.raises(stylize.RunStoppedError):
            stylize.stylize(config)
    resumed = stylize.stylize(config, resume=True)
    on_disk = read_trace(str(tmp_path / "b" / "trace.csv"))
    assert [row["iteration"] for row in on_disk] == [0, 1, 2, 3, 4]
    for ours, reference in zip(on_disk, whole.trace, strict=True):
        assert ours["long_side"] == reference["long_side"]
        np.testing.assert_allclose(ours["total_cost"], reference["total_cost"], rtol=1e-5)
    np.testing.assert_array_equal(resumed.image, whole.image)


def test_resume_refuses_another_schedule(tiny_vgg_path, tiny_images, tmp_path):
    stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path, **SCALED))
    longer = {**SCALED, "scale_iterations": (3, 4)}
    with pytest.raises(UserError, match=r"scale_iterations: \[3, 2\] -> \[3, 4\]"):
        stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path, **longer), resume=True)
    with pytest.raises(UserError, match="not with --scales"):
        stylize.stylize(
            tiny_config(tiny_vgg_path, tiny_images, tmp_path, **SCALED, num_iterations=9),
            resume=True,
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scales": (400, 200)}, "--scales must be increasing"),
        ({"scales": (200, 200)}, "--scales must be increasing"),
        ({"scales": (0, 200)}, "--scales must be increasing"),
        ({"scales": (200.5, 400)}, "--scales: .* is not a valid list value"),
        ({"scales": "200,x"}, "--scales: '200,x' is not a valid list value"),
        ({"scales": (200, 400), "scale_iterations": (5,)}, "one positive count per scale"),
        ({"scale_iterations": (5,)}, "--scale_iterations needs --scales"),
    ],
)
def test_bad_schedules_are_one_line_errors(overrides, message):
    with pytest.raises(UserError, match=message):
        paper_config(**overrides)


def test_flags_parse_to_integer_tuples():
    config = paper_config(scales="200,400", scale_iterations=["150", "50"])
    assert config.scales == (200, 400) and config.scale_iterations == (150, 50)


def test_an_output_size_that_cannot_fit_is_refused_before_the_first_scale(monkeypatch):
    layers = build_lib.layers_of(paper_config())
    fits_coarse = memory.estimate_peak_bytes(20, 15, layers, recompute=True) + 1
    monkeypatch.setattr(memory, "available_bytes", lambda: fits_coarse)
    built = []
    monkeypatch.setattr(stylize, "build", lambda *args, **kwargs: built.append(args))
    runs = stylize.scale_runs(
        paper_config(content="c", style="s", **SCALED), None, 0, _tiny_inputs()
    )
    with pytest.raises(UserError, match="40x30 image needs about"):
        next(runs)
    assert built == []

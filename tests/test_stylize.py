"""Runs in-process: determinism, bad inputs, interrupts, divergence, resume, one build."""

from __future__ import annotations

import contextlib
import json
import os

import numpy as np
import pytest

from nst_tf import build as build_lib
from nst_tf import stylize
from nst_tf.errors import UserError
from nst_tf.optim import loop
from nst_tf.outputs.writers import read_trace
from nst_tf.tools import benchmark
from tests.helpers import tiny_config

COSTS = ("total_cost", "content_cost", "style_cost")


def _costs(trace):
    return [tuple(row[column] for column in COSTS) for row in trace]


def test_same_seed_same_trace_other_seed_other_trace(tiny_vgg_path, tiny_images, tmp_path):
    def costs(seed, name):
        config = tiny_config(tiny_vgg_path, tiny_images, tmp_path / name, seed=seed)
        return _costs(stylize.stylize(config).trace)

    first, again, other = costs(3, "a"), costs(3, "b"), costs(4, "c")
    assert first == again
    assert first != other


def test_trace_has_named_terms_that_add_up(tiny_vgg_path, tiny_images, tmp_path):
    result = stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path))
    with open(tmp_path / "trace.csv") as handle:
        header = handle.readline().strip().split(",")
    layers = [f"style/conv{block}_1" for block in range(1, 6)]
    assert header == ["iteration", *COSTS, *layers, "seconds"]
    for row in result.trace:
        assert sum(row[name] for name in layers) == pytest.approx(row["style_cost"], rel=1e-5)
        total = 10 * row["content_cost"] + 40 * row["style_cost"]
        assert row["total_cost"] == pytest.approx(total, rel=1e-5)


def test_style_cost_falls_and_content_is_matched(tiny_vgg_path, tiny_images, tmp_path):
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=30, log_every=29)
    result = stylize.stylize(config)
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
        ({"style_layers": "conv1_1:nan"}, "--style_layers weight of conv1_1"),
        ({"pooling": "median"}, "--pooling must be one of"),
        ({"seed": -1}, "--seed must be within"),
        ({"learning_rate": float("nan")}, "--learning_rate must be a finite number"),
        ({"alpha": float("nan")}, "--alpha must be a finite number"),
        ({"beta": float("inf")}, "--beta must be a finite number"),
        ({"noise_ratio": float("nan")}, "--noise_ratio must be a finite number"),
        ({"beta": -1.0}, "--beta must be zero or positive"),
        ({"checkpoint_every": 0}, "--checkpoint_every must be a positive integer"),
        ({"width": 4.5}, "--width: 4.5 is not a valid integer value"),
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


def _stop_after(monkeypatch, steps: int, reason: str = "SIGTERM"):
    """Answers the run's stop poll (asked once after every update) with `reason` from `steps`."""
    polls = {"n": 0}

    def poll():
        polls["n"] += 1
        return reason if polls["n"] >= steps else None

    @contextlib.contextmanager
    def stop_requests():
        yield poll

    monkeypatch.setattr(stylize.signals, "stop_requests", stop_requests)


def test_stop_request_checkpoints_and_keeps_outputs(
    tiny_vgg_path, tiny_images, tmp_path, monkeypatch
):
    _stop_after(monkeypatch, 3)
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=10, save_every=1)
    with pytest.raises(stylize.RunStoppedError) as stop:
        stylize.stylize(config)
    assert stop.value.exit_code == 143 and "--resume" in str(stop.value)
    written = set(os.listdir(tmp_path))
    assert {"0.png", "1.png", "2.png", "trace.csv", "generated_image.jpg", "config.json"} <= written
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["status"] == "interrupted" and record["completed_iterations"] == 3
    assert os.path.exists(tmp_path / "checkpoints" / "ckpt-3.index")
    assert not [name for name in written if ".tmp" in name]


def test_resume_continues_exactly_and_replaces_later_rows(
    tiny_vgg_path, tiny_images, tmp_path, monkeypatch
):
    settings = dict(num_iterations=12, log_every=2, checkpoint_every=4)
    whole = stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "a", **settings))

    interrupted = tiny_config(tiny_vgg_path, tiny_images, tmp_path / "b", **settings)
    with monkeypatch.context() as patch:
        _stop_after(patch, 7)  # checkpointed after update 7; rows up to iteration 6 on disk
        with pytest.raises(stylize.RunStoppedError):
            stylize.stylize(interrupted)
    resumed = stylize.stylize(interrupted, resume=True)
    assert [row["iteration"] for row in resumed.trace] == [0, 2, 4, 6, 8, 10]
    for ours, reference in zip(_costs(resumed.trace), _costs(whole.trace), strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-6)
    on_disk = read_trace(str(tmp_path / "b" / "trace.csv"))
    assert [row["iteration"] for row in on_disk] == [0, 2, 4, 6, 8, 10]
    np.testing.assert_allclose(_costs(on_disk), _costs(resumed.trace), rtol=1e-8)
    np.testing.assert_array_equal(resumed.image, whole.image)


def test_resume_refuses_other_settings_and_allows_more_iterations(
    tiny_vgg_path, tiny_images, tmp_path
):
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=4)
    stylize.stylize(config)
    with pytest.raises(UserError, match=r"other settings \(alpha: 10.0 -> 5.0; seed: 0 -> 2\)"):
        stylize.stylize(
            tiny_config(tiny_vgg_path, tiny_images, tmp_path, alpha=5.0, seed=2), resume=True
        )
    longer = tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=6)
    result = stylize.stylize(longer, resume=True)
    assert [row["iteration"] for row in result.trace] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(UserError, match="nothing to resume"):
        stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "new"), resume=True)


def test_non_finite_cost_stops_with_the_last_finite_image(tiny_vgg_path, tiny_images, tmp_path):
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, learning_rate=1e30, num_iterations=8)
    with pytest.raises(stylize.RunStoppedError) as stop:
        stylize.stylize(config)
    message = str(stop.value)
    assert stop.value.exit_code == 1 and "non-finite at iteration" in message
    assert "--learning_rate" in message and "\n" not in message
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["status"] == "diverged"
    trace = read_trace(str(tmp_path / "trace.csv"))
    assert all(np.isfinite(row["total_cost"]) for row in trace)
    assert os.path.exists(tmp_path / "generated_image.jpg")


def test_itstime_is_one_rule_for_every_periodic_action():
    assert [i for i in range(10) if loop.itstime(i, 4, 10)] == [0, 4, 8]
    assert [i for i in range(10) if loop.itstime(i, 4, 10, last=True)] == [0, 4, 8, 9]
    assert [i for i in range(200) if loop.itstime(i, 20, 200)] == list(range(0, 200, 20))


def test_cli_benchmark_and_reproduction_share_one_build(
    tiny_vgg_path, tiny_images, tmp_path, monkeypatch
):
    calls = []
    real_build = build_lib.build

    def spy(config, *args, **kwargs):
        calls.append(config.width)
        return real_build(config, *args, **kwargs)

    monkeypatch.setattr(build_lib, "build", spy)
    monkeypatch.setattr(stylize, "build", spy)
    stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path, num_iterations=1))
    benchmark.nst_tf_step(24, 16)()
    assert calls == [40, 24]


def test_init_names_the_start_and_a_resume_checks_it(tiny_vgg_path, tiny_images, tmp_path):
    from nst_tf.images import io

    content = io.normalize(io.load_image(tiny_images[0], 40, 30))
    starts = {}
    for init in ("noise", "content", "random", tiny_images[1]):
        out = tmp_path / init.replace("/", "_")
        run = build_lib.build(tiny_config(tiny_vgg_path, tiny_images, out, init=init))
        starts[init] = run.initial_image
    noise = np.random.RandomState(0).uniform(-20, 20, content.shape)
    np.testing.assert_allclose(starts["noise"], 0.6 * noise + 0.4 * content, atol=1e-4)
    np.testing.assert_array_equal(starts["content"], content)
    np.testing.assert_allclose(starts["random"], noise, atol=1e-5)  # Gatys et al.'s white noise
    style = io.normalize(io.load_image(tiny_images[1], 40, 30))
    np.testing.assert_array_equal(starts[tiny_images[1]], style)
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path / "run", init="content")
    stylize.stylize(config)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["config"]["init"] == "content"
    with pytest.raises(UserError, match="init: 'content' -> 'noise'"):
        stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "run"), resume=True)
    with pytest.raises(UserError, match=r"--init image not found: nowhere\.png"):
        stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "x", init="nowhere.png"))


def test_tv_and_weighted_content_layers_add_trace_columns(tiny_vgg_path, tiny_images, tmp_path):
    config = tiny_config(
        tiny_vgg_path, tiny_images, tmp_path, tv_weight=10.0, content_layer="conv4_2:1,conv3_1:0.5"
    )
    rows = stylize.stylize(config).trace
    assert {"tv", "content/conv4_2", "content/conv3_1"} <= set(rows[0])
    for row in rows:
        parts = row["content/conv4_2"] + row["content/conv3_1"]
        assert parts == pytest.approx(row["content_cost"], rel=1e-5)
        total = 10.0 * row["content_cost"] + 40.0 * row["style_cost"] + 10.0 * row["tv"]
        assert total == pytest.approx(row["total_cost"], rel=1e-5)
    assert rows[-1]["tv"] < rows[0]["tv"]  # a strong weight smooths the noisy start
    paper = stylize.stylize(tiny_config(tiny_vgg_path, tiny_images, tmp_path / "paper")).trace
    assert "tv" not in paper[0] and "content/conv4_2" not in paper[0]  # the paper's columns


def test_an_objective_without_the_papers_terms_logs_and_traces_what_it_has(
    tiny_vgg_path, tiny_images, tmp_path, caplog
):
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, terms=("content",), tv_weight=1.0)
    with caplog.at_level("INFO"):
        rows = stylize.stylize(config).trace
    assert "content cost = " in caplog.text and "style cost = " not in caplog.text
    assert "style_cost" not in rows[0] and {"total_cost", "content_cost", "tv"} <= set(rows[0])
    header = (tmp_path / "trace.csv").read_text().splitlines()[0]
    assert header.startswith("iteration,total_cost,content_cost,style_cost,tv")

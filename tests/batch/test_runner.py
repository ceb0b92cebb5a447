"""Batches in-process on the tiny net: batched == single, skip/resume, bad files, refusals."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os

import numpy as np
import pytest

from nst_tf import stylize
from nst_tf.batch import jobs, runner
from nst_tf.images.io import save_image
from nst_tf.outputs.writers import read_trace
from nst_tf.runtime import distribute, memory
from tests.helpers import paper_config, smooth_image, tiny_config

COSTS = ("total_cost", "content_cost", "style_cost", "style/conv1_1", "style/conv5_1")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Three content images and one style, all different."""
    root = tmp_path_factory.mktemp("batch")
    os.makedirs(root / "contents")
    for seed in (1, 2, 3):
        save_image(str(root / "contents" / f"photo{seed}.png"), smooth_image(40, 30, seed=seed))
    save_image(str(root / "wave.jpg"), smooth_image(40, 30, seed=7))
    return root


def _base(tiny_vgg_path, out, **overrides):
    return tiny_config(tiny_vgg_path, (None, None), out, **overrides)


def _batch(config, contents, styles, batch_size=2):
    found = jobs.discover(contents, styles, None, config.output_dir)
    return runner.run_batch(config, found, batch_size, distribute.make_strategy("one_device"))


def _trace(folder):
    return np.array([[row[c] for c in COSTS] for row in read_trace(str(folder / "trace.csv"))])


def _single(config, out, job):
    """The job's own `nst-tf` run, for reference."""
    single = dataclasses.replace(
        config, content=job.content, style=job.style, output_dir=str(out / job.name)
    )
    return stylize.stylize(single)


# Settings that only fix sizes, colours or the terms batch too (issue 18): the batched step
# implements every batchable term, and sizes come from each job's own working size.
BATCHABLE = {
    "paper": {},
    "sizes, colours, terms": {
        "image_size": 36,
        "preserve_colors": "luminance",
        "tv_weight": 1e-3,
        "content_layer": (("conv4_2", 1.0), ("conv3_1", 0.5)),
    },
}


@pytest.mark.parametrize("settings", list(BATCHABLE.values()), ids=list(BATCHABLE))
def test_batched_jobs_equal_their_single_runs(tiny_vgg_path, folders, tmp_path, settings):
    config = _base(tiny_vgg_path, tmp_path / "out", num_iterations=8, save_every=4)
    config = dataclasses.replace(config, **settings).validate()
    assert runner.why_not_batched(config) is None
    found = jobs.discover(str(folders / "contents"), str(folders / "wave.jpg"), None, "")
    outcome = _batch(config, str(folders / "contents"), str(folders / "wave.jpg"))
    assert [r.status for r in outcome.results] == ["completed"] * 3 and not outcome.stopped_by
    for job, result in zip(found, outcome.results, strict=True):  # batches of 2 and 1
        out = tmp_path / "out" / result.job
        single = _single(config, tmp_path / "single", job)
        expected = np.array([[row[c] for c in COSTS] for row in single.trace])
        np.testing.assert_allclose(_trace(out), expected, rtol=1e-4)
        assert result.costs == pytest.approx(tuple(expected[-1, :3]), rel=1e-4)
        record = json.loads((out / "config.json").read_text())
        assert record["status"] == "completed" and record["config"]["content"].endswith(".png")
        alone = json.loads((tmp_path / "single" / job.name / "config.json").read_text())
        assert list(record) == list(alone)  # one owner of run folders: the same keys
        assert record["precision"] == alone["precision"]
        written = set(os.listdir(out))
        assert {
            "initial.png",
            "0.png",
            "4.png",
            "generated_image.jpg",
            "side_by_side.png",
        } <= written


def _stop_after(monkeypatch, steps):
    polls = {"n": 0}

    def poll():
        polls["n"] += 1
        return "SIGTERM" if polls["n"] >= steps else None

    @contextlib.contextmanager
    def stop_requests():
        yield poll

    monkeypatch.setattr(runner.signals, "stop_requests", stop_requests)


def test_stop_checkpoints_every_job_and_rerun_resumes_then_skips(
    tiny_vgg_path, folders, tmp_path, monkeypatch
):
    config = _base(tiny_vgg_path, tmp_path / "out", num_iterations=8, checkpoint_every=2)
    args = (str(folders / "contents"), str(folders / "wave.jpg"))
    with monkeypatch.context() as patch:
        _stop_after(patch, 3)
        stopped = _batch(config, *args)
    assert stopped.stopped_by == "SIGTERM"
    assert [(r.status, r.iterations) for r in stopped.results] == [
        ("interrupted", 3), ("interrupted", 3), ("not started", 0),
    ]  # fmt: skip
    first = tmp_path / "out" / "photo1__wave"
    assert json.loads((first / "config.json").read_text())["status"] == "interrupted"
    assert os.path.exists(first / "checkpoints" / "ckpt-3.index")

    # A batch job's folder is an `nst-tf` run folder: `nst-tf --resume` continues it too.
    paths = {"content": str(folders / "contents" / "photo1.png"), "style": args[1]}
    stylize.stylize(dataclasses.replace(config, **paths, output_dir=str(first)), resume=True)
    resumed = _batch(config, *args)
    assert [r.status for r in resumed.results] == [
        "skipped (completed before)", "completed", "completed",
    ]  # fmt: skip
    whole = _batch(dataclasses.replace(config, output_dir=str(tmp_path / "whole")), *args)
    for result in whole.results:
        ours, reference = (
            _trace(tmp_path / "out" / result.job),
            _trace(tmp_path / "whole" / result.job),
        )
        assert len(ours) == 8  # rows after the checkpoint replaced, not duplicated
        np.testing.assert_allclose(ours, reference, rtol=1e-6)

    again = _batch(config, *args)
    assert [r.status for r in again.results] == ["skipped (completed before)"] * 3
    assert [r.costs for r in again.results] == [r.costs for r in resumed.results]
    longer = _batch(dataclasses.replace(config, num_iterations=10), *args)
    assert [(r.status, r.iterations) for r in longer.results] == [("completed", 10)] * 3


def test_bad_files_and_other_settings_fail_alone(tiny_vgg_path, folders, tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    config = _base(tiny_vgg_path, tmp_path / "out")
    contents = f"{folders}/contents/photo1.png,{folders}/contents/photo2.png,{tmp_path}/notes.png"
    _batch(
        dataclasses.replace(config, alpha=5.0),
        f"{folders}/contents/photo2.png",
        str(folders / "wave.jpg"),
    )
    outcome = _batch(config, f"{contents},{tmp_path}/gone.png", str(folders / "wave.jpg"))
    statuses = {r.job: (r.status, r.note) for r in outcome.results}
    assert statuses["photo1__wave"] == ("completed", "")
    assert statuses["photo2__wave"][0] == "refused"
    assert "other settings (alpha: 5.0 -> 10.0)" in statuses["photo2__wave"][1]
    assert statuses["notes__wave"][0] == "failed" and "notes.png" in statuses["notes__wave"][1]
    assert statuses["gone__wave"][0] == "failed" and "not found" in statuses["gone__wave"][1]
    assert not os.path.exists(tmp_path / "out" / "gone__wave")


def test_a_diverging_batch_finishes_each_job_alone(tiny_vgg_path, folders, tmp_path):
    config = _base(tiny_vgg_path, tmp_path / "out", learning_rate=1e30, num_iterations=6)
    outcome = _batch(config, str(folders / "contents"), str(folders / "wave.jpg"), batch_size=3)
    assert [r.status for r in outcome.results] == ["diverged"] * 3
    assert all("non-finite" in r.note for r in outcome.results)


def test_batching_is_decided_by_what_the_batched_step_implements():
    for settings in (
        {},
        {"preserve_colors": "histogram"},
        {"image_size": 256},
        {"content_normalization": "gatys2016"},
        {"init": "content"},
        {"tv_weight": 1e-3},
    ):
        assert runner.why_not_batched(paper_config(**settings)) is None, settings
    assert "--optimizer=lbfgs" in runner.why_not_batched(paper_config(optimizer="lbfgs"))
    assert "--scales" in runner.why_not_batched(paper_config(scales=(20, 40)))


def test_one_traced_step_serves_every_group_of_a_size(tiny_vgg_path, folders, tmp_path):
    config = _base(tiny_vgg_path, tmp_path / "out", num_iterations=3)
    found = jobs.discover(
        str(folders / "contents"), str(folders / "wave.jpg"), None, config.output_dir
    )
    planned = [
        runner.plan_job(job, dataclasses.replace(config, **runner._paths(job))) for job in found
    ]
    batch = runner.BatchRunner(config, 1, distribute.make_strategy("one_device"))
    outcome = batch.run(planned, runner.BatchProgress(3, 9))
    assert [r.status for r in outcome.results] == ["completed"] * 3
    (optimizer,) = batch._optimizers.values()  # three groups of one, one set of slots
    assert optimizer.step_function.experimental_get_tracing_count() == 1


def test_default_batch_size_is_one_on_cpus_and_what_memory_allows_on_accelerators(
    tiny_vgg_path, monkeypatch
):
    """The devices are patched, so the rule is tested on any host, a GPU one included."""
    paper = _base(tiny_vgg_path, "out")
    visible = {"GPU": [], "TPU": []}
    monkeypatch.setattr(runner.tf.config, "list_logical_devices", lambda kind: visible[kind])
    monkeypatch.setattr(memory, "available_bytes", lambda: 2**50)
    assert runner.default_batch_size(paper) == 1  # CPUs: one image per step (measured faster)
    for accelerator in visible:
        visible[accelerator] = [f"/device:{accelerator}:0"]
        assert runner.default_batch_size(paper) == runner.MAX_BATCH
        visible[accelerator] = []


def test_jobs_that_run_alone_advance_the_batch_progress_line(tiny_vgg_path, folders, tmp_path):
    config = _base(tiny_vgg_path, tmp_path / "out", num_iterations=3, optimizer="lbfgs")
    assert runner.why_not_batched(config)  # L-BFGS jobs run one by one
    found = jobs.discover(
        str(folders / "contents"), str(folders / "wave.jpg"), None, config.output_dir
    )
    planned = [
        runner.plan_job(job, dataclasses.replace(config, **runner._paths(job))) for job in found
    ]
    progress = runner.BatchProgress(3, 9)
    batch = runner.BatchRunner(config, 1, distribute.make_strategy("one_device"))
    outcome = batch.run(planned, progress)
    assert [r.status for r in outcome.results] == ["completed"] * 3
    assert progress.iterations_done == 9
    assert progress.line().startswith("jobs 3/3 done; progress: 9/9 iterations (100%)")

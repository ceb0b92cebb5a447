"""nst-tf-train on the tiny VGG: a step lowers the loss, a run's folder, exact resume, finetune."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow as tf

from nst_tf import build
from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.network import export
from nst_tf.network.transformer import StyleNetwork
from nst_tf.outputs.writers import read_trace
from nst_tf.runtime import signals
from nst_tf.runtime.distribute import make_strategy
from nst_tf.stylize import RunStoppedError
from nst_tf.training.loss import TrainingLoss, style_table, training_objective
from nst_tf.training.photos import decode_photos, find_photos
from nst_tf.training.run import train
from nst_tf.training.trainer import Trainer
from tests.helpers import smooth_image, tiny_network_config

COSTS = ("total_cost", "content_cost", "style_cost", "tv")


def test_training_steps_lower_the_loss(tiny_vgg_path, network_inputs, tmp_path):
    styles, photos = network_inputs
    config = tiny_network_config(tiny_vgg_path, styles, photos, tmp_path, learning_rate=0.02)
    objective = training_objective(config, build.load_weights(config), "float32")
    style_images = [io.normalize(io.read_image(path), config.means) for path in config.style_paths]
    loss = TrainingLoss(objective, style_table(objective, style_images, 24), config.means)
    strategy = make_strategy("one_device")
    with strategy.scope():
        network = StyleNetwork(1 + len(style_images), config.width)
    trainer = Trainer(strategy, network, loss, 0.02, 2, "float32")
    batch = tf.constant(np.stack([smooth_image(24, 24, seed) for seed in (3, 4)]), tf.float32)
    slots = tf.constant([1, 3])
    totals = [trainer.step(batch, slots)["total"] for _ in range(8)]
    assert totals[-1] < 0.5 * totals[0], totals


def test_a_run_leaves_trace_checkpoints_preview_and_saved_model(trained):
    config, result = trained
    assert [row["iteration"] for row in result.trace] == [0, 1, 2, 3]
    assert set(COSTS) <= set(result.trace[0]) and "style/conv1_1" in result.trace[0]
    record = json.loads(pathlib.Path(config.output_dir, "config.json").read_text())
    assert (record["status"], record["completed_iterations"]) == ("completed", 4)
    assert result.styles == ("style7", "style8")
    preview = io.read_image(os.path.join(config.output_dir, "preview.png"))
    assert preview.shape[0] == 24  # the held-out photo's short side at the crop size
    network, metadata = export.load(config.output_dir)
    assert (network.slots, metadata["styles"]) == (3, ["style7", "style8"])


def test_a_resumed_run_logs_the_uninterrupted_losses(trained, tmp_path):
    config, result = trained
    # A run killed after its first checkpoint (after 1 update; the next come after 3 and 4).
    folder = str(tmp_path / "resumed")
    shutil.copytree(config.output_dir, folder)
    checkpoints = os.path.join(folder, "checkpoints")
    for name in os.listdir(checkpoints):
        if name.startswith(("ckpt-3", "ckpt-4")):
            os.remove(os.path.join(checkpoints, name))
    kept = os.path.join(checkpoints, "ckpt-1")
    tf.compat.v1.train.update_checkpoint_state(checkpoints, kept, [kept])
    record_path = pathlib.Path(folder, "config.json")
    record = json.loads(record_path.read_text())
    record["config"]["output_dir"] = folder
    record["status"], record["completed_iterations"] = "running", 1
    record_path.write_text(json.dumps(record))

    again = dataclasses.replace(config, output_dir=folder)
    resumed = train(again, make_strategy("one_device"), resume=True)
    assert [row["iteration"] for row in resumed.trace] == [0, 1, 2, 3]
    for ours, theirs in zip(resumed.trace, result.trace, strict=True):
        np.testing.assert_allclose([ours[c] for c in COSTS], [theirs[c] for c in COSTS], rtol=1e-6)
    rows = read_trace(os.path.join(folder, "trace.csv"))  # rows after the checkpoint replaced
    assert [row["iteration"] for row in rows] == [0, 1, 2, 3]


def test_finetuning_trains_only_the_new_styles_rows(trained, network_inputs, tmp_path):
    config, _ = trained
    third = network_inputs[0].split(",")[2]
    finetune = dataclasses.replace(
        config, styles=third, finetune_from=config.output_dir, output_dir=str(tmp_path), num_steps=2
    )
    result = train(finetune, make_strategy("one_device"))
    assert result.styles == ("style7", "style8", "style9")
    old, _ = export.load(config.output_dir)
    new, _ = export.load(str(tmp_path))
    assert new.slots == 4
    for before, after in zip(old.layers, new.layers, strict=True):
        np.testing.assert_array_equal(before.kernel.numpy(), after.kernel.numpy())
        for table in ("gamma", "beta"):
            old_rows, new_rows = getattr(before, table).numpy(), getattr(after, table).numpy()
            np.testing.assert_array_equal(new_rows[:3], old_rows)
            start = old_rows[1:].mean(axis=0)  # the new row's start: the old styles' mean
            assert not np.allclose(new_rows[3], start, atol=0, rtol=0)


def test_no_photos_and_no_readable_photos_are_one_line_each(tmp_path):
    empty = tmp_path / "empty"
    os.makedirs(empty / "sub")
    (empty / "notes.txt").write_text("not a photo")
    with pytest.raises(UserError, match="holds no jpg/jpeg/png/bmp/gif photos") as found:
        find_photos(str(empty))
    assert "\n" not in str(found.value)
    (empty / "sub" / "broken.jpg").write_bytes(b"not a jpeg")
    (empty / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    paths = find_photos(str(empty))
    assert [os.path.basename(path) for path in paths] == ["cut.png", "broken.jpg"]
    with pytest.raises(UserError, match="none of the 2 training photos could be read") as found:
        decode_photos(paths, 32)
    assert "\n" not in str(found.value)


def test_unreadable_photos_are_skipped_and_the_rest_kept(network_inputs, tmp_path):
    _, photos = network_inputs
    folder = shutil.copytree(photos, tmp_path / "photos")
    (folder / "sub" / "broken.jpg").write_bytes(b"not a jpeg")
    kept, paths = decode_photos(find_photos(str(folder)), 32)
    assert len(kept) == 5 and not any(path.endswith("broken.jpg") for path in paths)
    assert all(min(photo.shape[:2]) == 32 for photo in kept)


def test_sigterm_checkpoints_exports_and_says_how_to_resume(
    tiny_vgg_path, network_inputs, tmp_path, monkeypatch
):

    polls = iter([None, "SIGTERM"])  # the signal arrives during the second step

    @contextlib.contextmanager
    def stop_after_two():
        yield lambda: next(polls, "SIGTERM")

    monkeypatch.setattr(signals, "stop_requests", stop_after_two)
    styles, photos = network_inputs
    config = tiny_network_config(tiny_vgg_path, styles, photos, tmp_path, checkpoint_every=10)
    with pytest.raises(
        RunStoppedError, match=r"stopped by SIGTERM after step 1;.*--resume"
    ) as stop:
        train(config, make_strategy("one_device"))
    assert stop.value.exit_code == 143
    record = json.loads(pathlib.Path(tmp_path, "config.json").read_text())
    assert (record["status"], record["completed_iterations"]) == ("interrupted", 2)
    assert sorted(os.listdir(tmp_path / "checkpoints")) == [
        "checkpoint", "ckpt-1.data-00000-of-00001", "ckpt-1.index",
        "ckpt-2.data-00000-of-00001", "ckpt-2.index",
    ]  # fmt: skip
    assert export.load(str(tmp_path))[1]["steps"] == 2


def test_a_missing_photo_folder_is_one_line(tmp_path):
    with pytest.raises(UserError, match=r"--train_images: .*nothere not found"):
        find_photos(str(tmp_path / "nothere"))


def test_terms_the_training_loss_cannot_provide_are_one_line(
    tiny_vgg_path, network_inputs, tmp_path
):
    styles, photos = network_inputs
    with pytest.raises(UserError, match="trains with content, style, tv, not mrf"):
        tiny_network_config(tiny_vgg_path, styles, photos, tmp_path, terms="content,style,mrf")

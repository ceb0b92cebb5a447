"""The SavedModel runs in plain TensorFlow as nst-tf-apply runs it; the controls at run time."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.network import export
from nst_tf.network.apply import Controls, Stylizer, check_controls
from tests.helpers import smooth_image

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")

# Plain TensorFlow with nst_tf made unimportable: what a user without the package runs.
_PLAIN_TF = """
import sys
sys.modules["nst_tf"] = None
try:
    import nst_tf
except ImportError:
    pass
else:
    raise SystemExit("nst_tf is importable")
import numpy as np
import imageio.v3 as iio
import tensorflow as tf

saved_model, photo, out = sys.argv[1:]
model = tf.saved_model.load(saved_model)
serve = model.signatures["serving_default"]
image = tf.constant(iio.imread(photo)[np.newaxis], tf.float32)
result = serve(image=image, style_weights=tf.constant([0.0, 1.0]))
np.save(out, result["image"].numpy())
print(sorted(serve.structured_input_signature[1]), sorted(serve.structured_outputs))
"""


def test_the_saved_model_in_plain_tensorflow_equals_nst_tf_apply(trained, tmp_path):
    config, result = trained
    photo = str(tmp_path / "photo.png")
    io.save_image(photo, smooth_image(37, 29, seed=5))  # odd sides, not the training size
    plain = subprocess.run(
        [sys.executable, "-c", _PLAIN_TF, result.saved_model, photo, str(tmp_path / "plain.npy")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(tmp_path),
    )
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split("\n")[-2] == "['image', 'style_weights'] ['image']"
    expected = np.load(tmp_path / "plain.npy")
    assert expected.shape == (1, 29, 37, 3) and expected.dtype == np.float32
    applied = subprocess.run(
        [
            sys.executable,
            "-m",
            "nst_tf.apply_cli",
            f"--model={config.output_dir}",
            f"--content={photo}",
            f"--output_dir={tmp_path / 'out'}",
            "--style_weights=0,1",
            "--precision=float32",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.strip() == "nst-tf-apply: wrote 1 image"
    ours = io.read_image(str(tmp_path / "out" / "photo.png")).astype(np.float32)
    assert np.abs(ours - np.round(expected[0])).max() <= 1.0
    assert np.abs(ours - io.read_image(photo)).max() > 10  # it did stylize


def test_degree_zero_returns_the_photo_and_one_the_full_style(trained):
    config, _ = trained
    network, _ = export.load(config.output_dir)
    photos = np.stack([smooth_image(30, 22, seed) for seed in (1, 2)])
    none = Stylizer(network, Controls((1, 1), 0.0), "float32")(photos)
    np.testing.assert_array_equal(none, photos)
    full = Stylizer(network, Controls((0, 1), 1.0), "float32")(photos)
    weights = np.eye(3, dtype=np.float32)[[2, 2]]
    np.testing.assert_array_equal(full, np.clip(np.round(network(photos, weights)), 0, 255))
    half = Stylizer(network, Controls((0, 1), 0.5), "float32")(photos).astype(np.float32)
    assert 0 < np.abs(half - photos).mean() < np.abs(full.astype(np.float32) - photos).mean()


def test_other_controls_reuse_the_compiled_network_and_give_a_fresh_stylizers_images(trained):
    config, _ = trained
    network, _ = export.load(config.output_dir)
    photos = np.stack([smooth_image(30, 22, seed) for seed in (1, 2)])
    first = Stylizer(network, Controls((1, 0)), "float32")
    left = np.zeros(photos.shape[1:3], np.float32)
    left[:, :15] = 1.0
    first(photos)
    first(photos, [left, 1 - left])

    def traces():
        return sum(run.experimental_get_tracing_count() for run in first._runs.values())

    before = traces()
    for controls in (Controls((0, 1), 0.5), Controls((1, 3), 1.0, "luminance")):
        other = first.with_controls(controls)
        fresh = Stylizer(network, controls, "float32")
        np.testing.assert_array_equal(other(photos), fresh(photos))
        masked = other(photos, [left, 1 - left])
        np.testing.assert_array_equal(masked, fresh(photos, [left, 1 - left]))
        assert other.controls == controls
    assert traces() == before
    assert first.controls == Controls((1, 0))  # the original keeps its own


def test_masks_put_each_style_in_its_region_and_leave_the_rest(trained):
    config, _ = trained
    network, _ = export.load(config.output_dir)
    photo = smooth_image(32, 24, seed=3)[np.newaxis]
    left = np.zeros((24, 32), np.float32)
    left[:, :16] = 1.0
    regions = Stylizer(network, Controls((1, 1)), "float32")(photo, [left, np.zeros_like(left)])
    first = Stylizer(network, Controls((1, 0)), "float32")(photo)
    # Far from the boundary the left half is the first style's and the right half the photo's
    # (not exactly: the 9x9 convs, the downsampled layers and the whole-image normalisation
    # statistics see across it).
    left, right = np.s_[0, :, :8], np.s_[0, :, 24:]

    def gap(a, b):
        return np.abs(a.astype(np.float32) - b.astype(np.float32)).mean()

    assert gap(regions[left], first[left]) < 0.2 * gap(regions[left], photo[left])
    assert gap(regions[right], photo[right]) < 0.2 * gap(regions[right], first[right])


def test_wrong_style_weights_and_a_missing_model_are_one_line_each(trained, tmp_path):
    config, _ = trained
    with pytest.raises(UserError, match=r"has 3 weights but out has 2 styles \(a, b\)") as found:
        check_controls(Controls((1, 0, 0)), ["a", "b"], "out")
    assert "\n" not in str(found.value)
    with pytest.raises(UserError, match="holds no trained network") as found:
        export.load(str(tmp_path))
    assert "\n" not in str(found.value)
    metadata = pathlib.Path(export.saved_model_path(config.output_dir), export.METADATA)
    assert json.loads(metadata.read_text())["styles"] == ["style7", "style8"]

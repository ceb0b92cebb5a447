"""A trained network as a SavedModel that plain TensorFlow runs, and back into a network.

`<output_dir>/saved_model/` holds the signature `serving_default`: inputs `image` (float32
[1, H, W, 3], 0..255, any H and W) and `style_weights` (float32 [N], one per style, in the
order of `styles` in assets.extra/network.json; what they leave of 1 goes to the identity slot,
so a one-hot vector is that style and zeros give the photo back through the network), output
`image` (float32 [1, H, W, 3], 0..255):

    model = tf.saved_model.load("output/network/saved_model")
    out = model.signatures["serving_default"](image=photo, style_weights=tf.constant([1., 0.]))

(magenta's image_stylization_convert_tflite.py exports the same two inputs.) nst-tf-apply and
--finetune_from read the same folder back into a `StyleNetwork` (its variables are a
checkpoint inside the SavedModel), so there is one artefact for every consumer, and the
controls that need more than that signature (batches, regions, bfloat16) stay nst_tf's.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from nst_tf.errors import UserError
from nst_tf.files import write_text
from nst_tf.network.style_maps import IDENTITY, with_identity
from nst_tf.network.transformer import StyleNetwork

SAVED_MODEL = "saved_model"
METADATA = os.path.join("assets.extra", "network.json")
FORMAT = 1


class _Serving(tf.Module):
    def __init__(self, network: StyleNetwork, num_styles: int):
        super().__init__()
        self.network = network
        self.serve = tf.function(
            self._serve,
            input_signature=[
                tf.TensorSpec([1, None, None, 3], tf.float32, name="image"),
                tf.TensorSpec([num_styles], tf.float32, name="style_weights"),
            ],
        )

    def _serve(self, image: tf.Tensor, style_weights: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"image": self.network(image, with_identity(style_weights)[tf.newaxis])}


def copy_network(network: StyleNetwork) -> StyleNetwork:
    """A plain single-device copy (a trained network's variables may be distributed)."""
    copy = StyleNetwork(network.slots, network.width)
    for target, source in zip(copy.variables, network.variables, strict=True):
        target.assign(source.read_value())
    return copy


def save(network: StyleNetwork, styles: Sequence[str], path: str, **about: Any) -> None:
    """Writes the SavedModel and its metadata (style names, width, `about`) to `path`.

    Written beside `path` and renamed over it, so a kill leaves the previous model whole.
    """
    tmp = f"{path}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    module = _Serving(copy_network(network), len(styles))
    _save_keeping_log_levels(module, tmp)
    metadata = {
        "format": FORMAT,
        "styles": list(styles),
        "slots": network.slots,
        "identity_slot": IDENTITY,
        "width": network.width,
        **about,
    }
    os.makedirs(os.path.dirname(os.path.join(tmp, METADATA)), exist_ok=True)
    write_text(os.path.join(tmp, METADATA), json.dumps(metadata, indent=2) + "\n")
    old = f"{path}.old{os.getpid()}"
    if os.path.exists(path):
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _save_keeping_log_levels(module: _Serving, path: str) -> None:
    """tf.saved_model.save, without its side effect on logging.

    TensorFlow's AutoTrackable sets absl's verbosity to FATAL while it lists a module's
    functions and then sets it back, which pins the "absl" logger's own level (WARNING before
    flags are parsed): a process that exported would then drop every later INFO line, the
    paper's log lines included. The logger's level is put back as it was.
    """
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    try:
        tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    finally:
        absl_logger.setLevel(level)


def saved_model_path(model_dir: str) -> str:
    """The SavedModel of a training --output_dir, or `model_dir` itself if it is one."""
    inner = os.path.join(model_dir, SAVED_MODEL)
    return inner if os.path.isdir(inner) else model_dir


def load(model_dir: str, flag: str = "--model") -> tuple[StyleNetwork, dict[str, Any]]:
    """(the network, its metadata) from a training --output_dir or its saved_model/."""
    path = saved_model_path(model_dir)
    try:
        with open(os.path.join(path, METADATA)) as handle:
            metadata = json.load(handle)
        network = StyleNetwork(int(metadata["slots"]), float(metadata["width"]))
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(
            f"{flag}={model_dir} holds no trained network (no {SAVED_MODEL}/{METADATA}); pass "
            "the --output_dir of a finished nst-tf-train run"
        ) from None
    try:
        variables = os.path.join(path, "variables", "variables")
        tf.train.Checkpoint(network=network).read(variables).assert_existing_objects_matched()
    except (tf.errors.OpError, AssertionError, ValueError) as err:
        raise UserError(
            f"{flag}={model_dir}: the network's variables do not load ({type(err).__name__}); "
            "train it again or pass another folder"
        ) from None
    return network, metadata

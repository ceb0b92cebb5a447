"""`nst-tf`: flags -> config -> stylize. Flags left unset keep the config file's value.

nst-tf --content=photo.jpg --style=painting.jpg --output_dir=out
nst-tf --flagfile=run.flags --config=configs/paper.py --num_iterations=400
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out

from absl import app, flags, logging

from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.model import vgg

_CONFIG = flags.DEFINE_string(
    "config", "paper", "Config: a built-in name (paper) or a path to a .py file with get_config()."
)
_CONTENT = flags.DEFINE_string("content", None, "Content image C (JPEG/PNG).")
_STYLE = flags.DEFINE_string("style", None, "Style image S (JPEG/PNG).")
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", None, "Where <i>.png, trace.csv, generated_image.jpg and config.json go."
)
_VGG_PATH = flags.DEFINE_string(
    "vgg_path",
    None,
    "MatConvNet imagenet-vgg-verydeep-19.mat. Unset: the file `nst-tf-fetch` writes, in "
    "$NST_TF_HOME, else ./pretrained when it exists, else ~/.cache/nst_tf.",
)
_NUM_ITERATIONS = flags.DEFINE_integer("num_iterations", None, "Adam updates (paper: 200).")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", None, "Adam learning rate (paper: 2.0).")
_ALPHA = flags.DEFINE_float("alpha", None, "Content weight alpha of eq. 4 (paper: 10).")
_BETA = flags.DEFINE_float("beta", None, "Style weight beta of eq. 4 (paper: 40).")
_NOISE_RATIO = flags.DEFINE_float(
    "noise_ratio", None, "Share of uniform(-20, 20) noise in the initial image (paper: 0.6)."
)
_SEED = flags.DEFINE_integer("seed", None, "Seed of the initial noise; same seed, same trace.")
_CONTENT_LAYER = flags.DEFINE_enum(
    "content_layer", None, vgg.CONV_LAYERS, "Layer of the content cost (paper: conv4_2)."
)
_STYLE_LAYERS = flags.DEFINE_string(
    "style_layers",
    None,
    "Style layers and weights lambda, e.g. conv1_1:0.2,conv2_1:0.2,conv3_1:0.2,conv4_1:0.2,"
    "conv5_1:0.2 (the paper's).",
)
_POOLING = flags.DEFINE_enum("pooling", None, vgg.POOLINGS, "VGG pooling (paper: avg).")
_WIDTH = flags.DEFINE_integer("width", None, "Images are resized to this width (paper: 400).")
_HEIGHT = flags.DEFINE_integer("height", None, "Images are resized to this height (paper: 300).")
_LOG_EVERY = flags.DEFINE_integer("log_every", None, "Log costs every N iterations (paper: 20).")
_SAVE_EVERY = flags.DEFINE_integer("save_every", None, "Save <i>.png every N iterations (20).")
_PRECISION = flags.DEFINE_enum(
    "precision",
    None,
    vgg.PRECISIONS,
    "Conv precision: float32 (paper) or bfloat16 (convs only; Grams and losses stay float32).",
)
_JIT = flags.DEFINE_boolean(
    "jit", None, "Compile the step with XLA. Unset: on for TPUs only (slower on the CPUs measured)."
)


def overrides_from_flags() -> dict:
    """Flag values the user gave (None = unset), keyed like the config table."""
    return {
        "content": _CONTENT.value,
        "style": _STYLE.value,
        "output_dir": _OUTPUT_DIR.value,
        "vgg_path": _VGG_PATH.value,
        "num_iterations": _NUM_ITERATIONS.value,
        "learning_rate": _LEARNING_RATE.value,
        "alpha": _ALPHA.value,
        "beta": _BETA.value,
        "noise_ratio": _NOISE_RATIO.value,
        "seed": _SEED.value,
        "content_layer": _CONTENT_LAYER.value,
        "style_layers": _STYLE_LAYERS.value,
        "pooling": _POOLING.value,
        "width": _WIDTH.value,
        "height": _HEIGHT.value,
        "log_every": _LOG_EVERY.value,
        "save_every": _SAVE_EVERY.value,
        "precision": _PRECISION.value,
        "jit": _JIT.value,
    }


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from nst_tf.stylize import stylize

    try:
        config = make_config(load_config_table(_CONFIG.value), overrides_from_flags())
        stylize(config)
    except UserError as err:
        print(f"nst-tf: error: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("nst-tf: interrupted; the outputs written so far are kept", file=sys.stderr)
        sys.exit(130)


def entry_point() -> None:
    # Under the console script the main module is the `nst-tf` wrapper, so --help would list
    # none of these flags; registering them as its key flags puts them in --help.
    for name in flags.FLAGS.get_flags_for_module(__name__):
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], name)
    logging.set_verbosity(logging.INFO)
    app.run(main)


if __name__ == "__main__":
    entry_point()

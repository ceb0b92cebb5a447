"""Reproduces the paper's run and compares its cost trace with the printed one.

python scripts/reproduce_paper.py --images_dir=../shared/paper/images --output_dir=output/paper
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging

from nst_tf.errors import UserError
from nst_tf.model import vgg
from nst_tf.runtime import environment

_IMAGES_DIR = flags.DEFINE_string(
    "images_dir", None, "Folder with louvre_small.jpg and monet.jpg.", required=True
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "output/paper", "Where everything is written.")
_NUM_ITERATIONS = flags.DEFINE_integer("num_iterations", 200, "Adam updates (paper: 200).")
_VGG_PATH = flags.DEFINE_string("vgg_path", None, "VGG-19 .mat (default: the config's).")
_SEED = flags.DEFINE_integer("seed", None, "Seed of the initial noise (default: the config's).")
_PRECISION = flags.DEFINE_enum("precision", None, vgg.PRECISIONS, "Conv precision.")
_WIDTH = flags.DEFINE_integer("width", None, "Image width (default: the paper's 400).")
_HEIGHT = flags.DEFINE_integer("height", None, "Image height (default: the paper's 300).")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    overrides = {
        "num_iterations": _NUM_ITERATIONS.value,
        "vgg_path": _VGG_PATH.value,
        "seed": _SEED.value,
        "precision": _PRECISION.value,
        "width": _WIDTH.value,
        "height": _HEIGHT.value,
    }
    environment.configure(logging.get_verbosity())
    from nst_tf.tools.reproduce import reproduce

    try:
        result = reproduce(_IMAGES_DIR.value, _OUTPUT_DIR.value, overrides)
    except UserError as err:
        print(f"reproduce_paper: error: {err}", file=sys.stderr)
        sys.exit(1)
    print(result.markdown, end="")
    print(
        f"wall time {result.seconds:.1f} s; figures: {', '.join(result.figures)} "
        f"in {_OUTPUT_DIR.value}"
    )


if __name__ == "__main__":
    logging.set_verbosity(logging.INFO)
    app.run(main)

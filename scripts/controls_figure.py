"""Regenerates every figure of docs/controls.md from the paper's images.

python scripts/controls_figure.py --images_dir=../shared/paper/images

Runs the paper's config with one control varied per figure (16 runs at --image_size=200,
--num_iterations=100: about 15 minutes on a 2-core CPU) and writes docs/figures/controls_*.jpg
plus output/controls/timings.md. Without the paper's images it says so and exits 0.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging

from nst_tf.errors import UserError
from nst_tf.runtime import environment

_IMAGES_DIR = flags.DEFINE_string(
    "images_dir",
    "../shared/paper/images",
    "Folder with louvre_small.jpg, monet.jpg and stone_style.jpg.",
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "output/controls", "Where the runs are written.")
_FIGURES_DIR = flags.DEFINE_string("figures_dir", "docs/figures", "Where the figures go.")
_IMAGE_SIZE = flags.DEFINE_integer("image_size", 200, "Long side of every run (paper: 400).")
_NUM_ITERATIONS = flags.DEFINE_integer("num_iterations", 100, "Adam updates (paper: 200).")
_VGG_PATH = flags.DEFINE_string("vgg_path", None, "VGG-19 .mat (default: the config's).")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from nst_tf.tools import controls

    missing = controls.missing_images(_IMAGES_DIR.value)
    if missing:
        print(
            f"controls_figure: skipped: {', '.join(missing)} not in {_IMAGES_DIR.value} (the "
            "paper's images); pass --images_dir=DIR holding them"
        )
        return
    environment.configure(logging.get_verbosity())
    try:
        result = controls.controls_figures(
            _IMAGES_DIR.value,
            _OUTPUT_DIR.value,
            _FIGURES_DIR.value,
            _IMAGE_SIZE.value,
            _NUM_ITERATIONS.value,
            {"vgg_path": _VGG_PATH.value} if _VGG_PATH.value else None,
        )
    except UserError as err:
        print(f"controls_figure: error: {err}", file=sys.stderr)
        sys.exit(1)
    print(result.markdown, end="")
    print(f"figures: {', '.join(result.figures)} in {_FIGURES_DIR.value}")


if __name__ == "__main__":
    logging.set_verbosity(logging.INFO)
    app.run(main)

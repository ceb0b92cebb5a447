"""Writes docs/network.md's figures from a trained two-style network and prints the degree table.

python scripts/network_figures.py --model=output/network_demo \\
    --contents=../shared/paper/images/louvre_small.jpg,../shared/paper/images/cat.jpg

`bash scripts/train_demo.sh` trains the network and runs this. The styles default to the
images the network was trained on (its config, as nst-tf-train recorded it); the figures are
docs/figures/network_*.jpg (nst_tf/tools/network_figures.py says what each shows).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging

from nst_tf.errors import UserError
from nst_tf.runtime import environment

_MODEL = flags.DEFINE_string("model", "output/network_demo", "nst-tf-train's --output_dir.")
_CONTENTS = flags.DEFINE_list(
    "contents", None, "Photos, comma-separated; the first is in every strip."
)
_STYLES = flags.DEFINE_list(
    "styles", None, "The network's two style images in its order (unset: the ones it trained on)."
)
_FIGURES_DIR = flags.DEFINE_string("figures_dir", "docs/figures", "Where network_*.jpg go.")
_IMAGE_SIZE = flags.DEFINE_integer(
    "image_size",
    240,
    "Long side of every panel: 240x180 is near the scale the demo trained at (photos at a short "
    "side of 192) and keeps each figure at about 150 kB.",
)
_PRECISION = flags.DEFINE_enum(
    "precision", "auto", ["float32", "bfloat16", "auto"], "The network's conv precision."
)
_VGG_PATH = flags.DEFINE_string("vgg_path", None, "VGG-19 .mat for the degree table's costs.")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    environment.configure(logging.get_verbosity())
    from nst_tf.runtime import devices
    from nst_tf.tools import network_figures

    precision, _ = devices.resolve_precision(_PRECISION.value)
    try:
        if not _CONTENTS.value:
            raise UserError("--contents is required: give one or more photos, comma-separated")
        result = network_figures.network_figures(
            _MODEL.value,
            _CONTENTS.value,
            _STYLES.value,
            _FIGURES_DIR.value,
            _IMAGE_SIZE.value,
            precision,
            _VGG_PATH.value,
        )
    except UserError as err:
        print(f"network_figures: error: {err}", file=sys.stderr)
        sys.exit(1)
    print(result.markdown, end="")
    print(f"figures ({precision}): {', '.join(result.figures)}")


if __name__ == "__main__":
    logging.set_verbosity(logging.INFO)
    app.run(main)

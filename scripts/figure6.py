"""The paper's Figure 6: Gatys et al. 2016, Li & Wand 2016, Luan et al. 2017 and the paper's
method on three pairs of images, each result scored by every method's energy.

python scripts/figure6.py --images_dir=../shared/paper/images --output_dir=output/figure6
python scripts/figure6.py --images_dir=../shared/paper/images --precision=auto \
    --methods=li_wand2016,paper --pairs=louvre_small.jpg:monet.jpg
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging

from nst_tf.errors import UserError
from nst_tf.runtime import environment

_IMAGES_DIR = flags.DEFINE_string(
    "images_dir", None, "Folder with the pairs' images (../shared/paper/images).", required=True
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "output/figure6", "Where everything is written.")
_PAIRS = flags.DEFINE_list(
    "pairs",
    None,
    "content:style file names in --images_dir; default: the paper's louvre_small.jpg:monet.jpg, "
    "cat.jpg:sandstone.jpg, camp-nou.jpg:stone_style.jpg.",
)
_METHODS = flags.DEFINE_list(
    "methods",
    None,
    "Methods to run (configs): default gatys2016, li_wand2016, luan2017, paper.",
)
_VGG_PATH = flags.DEFINE_string("vgg_path", None, "VGG-19 .mat (default: found as nst-tf does).")
_PRECISION = flags.DEFINE_enum(
    "precision",
    None,
    ["float32", "bfloat16", "auto"],
    "Conv precision of every run (default: the configs' float32); auto is about 1.8x faster "
    "on bf16 hardware, costs within 1%.",
)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    environment.configure(logging.get_verbosity())
    from nst_tf.tools import figure6

    pairs = figure6.PAIRS
    if _PAIRS.value:
        pairs = [tuple(item.split(":", 1)) for item in _PAIRS.value]
        if any(len(pair) != 2 for pair in pairs):
            print("figure6: error: --pairs items are content:style file names", file=sys.stderr)
            sys.exit(1)
    overrides = {"vgg_path": _VGG_PATH.value, "precision": _PRECISION.value}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    try:
        results = figure6.figure6(
            _IMAGES_DIR.value,
            _OUTPUT_DIR.value,
            pairs,
            overrides,
            methods=_METHODS.value or tuple(dict(figure6.METHODS)),
        )
    except UserError as err:
        print(f"figure6: error: {err}", file=sys.stderr)
        sys.exit(1)
    print(figure6.markdown(results), end="")
    print(f"figure: {os.path.join(_OUTPUT_DIR.value, 'figure6.jpg')}")


if __name__ == "__main__":
    logging.set_verbosity(logging.INFO)
    app.run(main)

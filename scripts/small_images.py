"""Small images: which sizes keep the photograph's layout with the paper's weights (issue 18).

python scripts/small_images.py --images_dir=../shared/paper/images

Runs the paper's Adam, Adam without the content term and L-BFGS at long sides 200, 300 and 400,
the measured fixes below 400 and the crop probe (nst_tf/tools/small_images.py: 14 runs, 36
minutes on a shared 2-core CPU), prints the tables of docs/controls.md#small-images, writes
them to --output_dir/small_images.md and the contact sheet to --figure. Without the paper's
images it says so and exits 0.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging

from nst_tf.errors import UserError
from nst_tf.runtime import environment

_IMAGES_DIR = flags.DEFINE_string(
    "images_dir", "../shared/paper/images", "Folder with louvre_small.jpg and monet.jpg."
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "output/small_images", "Where small_images.md goes."
)
_FIGURE = flags.DEFINE_string(
    "figure", "docs/figures/small_images.jpg", "The contact sheet (rows = sizes)."
)
_SIZES = flags.DEFINE_list("sizes", "200,300,400", "Long sides to run.")
_VGG_PATH = flags.DEFINE_string("vgg_path", None, "VGG-19 .mat (default: found as nst-tf does).")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from nst_tf.files import write_text
    from nst_tf.images import io
    from nst_tf.tools import small_images

    missing = small_images.missing_images(_IMAGES_DIR.value)
    if missing:
        print(
            f"small_images: skipped: {', '.join(missing)} not in {_IMAGES_DIR.value} (the "
            "paper's images); pass --images_dir=DIR holding them"
        )
        return
    environment.configure(logging.get_verbosity())
    overrides = {"vgg_path": _VGG_PATH.value} if _VGG_PATH.value else None
    try:
        sizes = [int(size) for size in _SIZES.value]
        report = small_images.measure(_IMAGES_DIR.value, sizes, overrides=overrides)
    except (UserError, ValueError) as err:
        print(f"small_images: error: {err}", file=sys.stderr)
        sys.exit(1)
    text = small_images.markdown(report)
    os.makedirs(_OUTPUT_DIR.value, exist_ok=True)
    write_text(os.path.join(_OUTPUT_DIR.value, "small_images.md"), text)
    content = io.read_image(os.path.join(_IMAGES_DIR.value, small_images.CONTENT), "content")
    small_images.save_figure(report, content, _FIGURE.value)
    print(text, end="")
    print(f"figure: {_FIGURE.value}")


if __name__ == "__main__":
    logging.set_verbosity(logging.INFO)
    app.run(main)

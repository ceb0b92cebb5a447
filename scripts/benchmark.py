"""Benchmarks nst_tf's step against the TensorFlow-tutorial way, in one process, alternating.

python scripts/benchmark.py                          # 200x150, 400x300, 800x600, fp32
python scripts/benchmark.py --precisions=float32,bfloat16 --jit --json=bench.json
python scripts/benchmark.py --time_to_quality --images_dir=../shared/paper/images
"""

from __future__ import annotations

import json
import os

from absl import app, flags

from nst_tf.files import write_text
from nst_tf.runtime import environment

_SIZES = flags.DEFINE_list("sizes", ["200x150", "400x300", "800x600"], "WIDTHxHEIGHT list.")
_REPEATS = flags.DEFINE_integer("repeats", 10, "Timed steady steps per case (after 2 warm-up).")
_PRECISIONS = flags.DEFINE_list("precisions", ["float32"], "nst_tf conv precisions to time.")
_JIT = flags.DEFINE_boolean("jit", False, "Also time nst_tf's float32 step under XLA.")
_RSS = flags.DEFINE_boolean("rss", True, "Measure peak RSS (middle size) in child processes.")
_JSON = flags.DEFINE_string("json", None, "Also write the report as JSON to this path.")
_TIME_TO_QUALITY = flags.DEFINE_boolean(
    "time_to_quality",
    False,
    "Instead: time each fast route (L-BFGS, bf16) to the paper's Adam result's cost, on the "
    "paper's images with the real weights (nst_tf/tools/time_to_quality.py).",
)
_IMAGES_DIR = flags.DEFINE_string(
    "images_dir", "../shared/paper/images", "--time_to_quality: louvre_small.jpg, monet.jpg."
)
_VGG_PATH = flags.DEFINE_string("vgg_path", None, "--time_to_quality: VGG-19 .mat.")
_TARGET = flags.DEFINE_list(
    "target_cost",
    None,
    "--time_to_quality: skip the first Adam run and use these TOTAL,CONTENT costs of its "
    "final image (both printed by an earlier run).",
)
_ROUTES = flags.DEFINE_list(
    "routes", None, "--time_to_quality: route names to time (default: all the hardware has)."
)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    environment.configure()
    if _TIME_TO_QUALITY.value:
        from nst_tf.tools import time_to_quality

        content, style = (
            os.path.join(_IMAGES_DIR.value, n) for n in ("louvre_small.jpg", "monet.jpg")
        )
        target = None
        if _TARGET.value:
            if len(_TARGET.value) != 2:
                raise app.UsageError("--target_cost takes TOTAL,CONTENT, e.g. 8.74e7,21000")
            target = tuple(float(value) for value in _TARGET.value)
        routes = None
        if _ROUTES.value:
            routes = {name: time_to_quality.ROUTES[name] for name in _ROUTES.value}
        report = time_to_quality.run(content, style, _VGG_PATH.value, routes=routes, target=target)
        if _JSON.value:
            write_text(_JSON.value, json.dumps(report, indent=2) + "\n")
        return
    from nst_tf.tools import benchmark

    sizes = [tuple(int(v) for v in size.lower().split("x")) for size in _SIZES.value]
    report = benchmark.run(sizes, _REPEATS.value, _PRECISIONS.value, _JIT.value, _RSS.value)
    if _JSON.value:
        write_text(_JSON.value, benchmark.to_json(report) + "\n")


if __name__ == "__main__":
    app.run(main)

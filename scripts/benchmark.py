"""Benchmarks nst_tf's step against the TensorFlow-tutorial way, in one process, alternating.

python scripts/benchmark.py                          # 200x150, 400x300, 800x600, fp32
python scripts/benchmark.py --precisions=float32,bfloat16 --jit --json=bench.json
"""

from __future__ import annotations

from absl import app, flags

from nst_tf.outputs.files import write_text
from nst_tf.runtime import environment

_SIZES = flags.DEFINE_list("sizes", ["200x150", "400x300", "800x600"], "WIDTHxHEIGHT list.")
_REPEATS = flags.DEFINE_integer("repeats", 10, "Timed steady steps per case (after 2 warm-up).")
_PRECISIONS = flags.DEFINE_list("precisions", ["float32"], "nst_tf conv precisions to time.")
_JIT = flags.DEFINE_boolean("jit", False, "Also time nst_tf's float32 step under XLA.")
_RSS = flags.DEFINE_boolean("rss", True, "Measure peak RSS (middle size) in child processes.")
_JSON = flags.DEFINE_string("json", None, "Also write the report as JSON to this path.")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    environment.configure()
    from nst_tf.tools import benchmark

    sizes = [tuple(int(v) for v in size.lower().split("x")) for size in _SIZES.value]
    report = benchmark.run(sizes, _REPEATS.value, _PRECISIONS.value, _JIT.value, _RSS.value)
    if _JSON.value:
        write_text(_JSON.value, benchmark.to_json(report) + "\n")


if __name__ == "__main__":
    app.run(main)

"""Large images: peak RSS against the memory estimate, with and without recomputed VGG blocks.

python scripts/benchmark_memory.py --sizes=1024x768,2048x1536 --recompute=false,true
python scripts/benchmark_memory.py --sizes=4096x3072 --recompute=auto --steps=2
python scripts/benchmark_memory.py --sizes=1024x768 --recompute=false --optimizers=adam,lbfgs

Each case runs in a fresh child process (its own peak), with random weights and images.
"""

from __future__ import annotations

from absl import app, flags

from nst_tf.files import write_text
from nst_tf.runtime import environment

_SIZES = flags.DEFINE_list("sizes", ["1024x768", "2048x1536"], "WIDTHxHEIGHT list.")
_RECOMPUTE = flags.DEFINE_list(
    "recompute", ["false", "true"], "Paths to measure: false (plain), true, auto (as a run picks)."
)
_STEPS = flags.DEFINE_integer("steps", 3, "Steps per case after building.")
_OPTIMIZERS = flags.DEFINE_list("optimizers", ["adam"], "Optimizers to measure: adam, lbfgs.")
_JSON = flags.DEFINE_string("json", None, "Also write the rows as JSON to this path.")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    environment.configure()
    import json

    from nst_tf.tools import benchmark

    sizes = [tuple(int(v) for v in size.lower().split("x")) for size in _SIZES.value]
    settings = [{"false": False, "true": True, "auto": None}[v.lower()] for v in _RECOMPUTE.value]
    rows = benchmark.large_images(sizes, settings, _STEPS.value, optimizers=_OPTIMIZERS.value)
    if _JSON.value:
        write_text(_JSON.value, json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    app.run(main)

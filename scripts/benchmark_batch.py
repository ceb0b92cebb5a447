"""Images per second of nst-tf-batch's batched step for several N, in one process, alternating.

python scripts/benchmark_batch.py                                  # 400x300, N = 1, 4
python scripts/benchmark_batch.py --batch_sizes=1,4,8,16           # on a GPU
"""

from __future__ import annotations

from absl import app, flags

from nst_tf.runtime import environment

_SIZE = flags.DEFINE_string("size", "400x300", "WIDTHxHEIGHT.")
_BATCH_SIZES = flags.DEFINE_list("batch_sizes", ["1", "4"], "Images per step to compare.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed steps per N (after 2 warm-up).")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    environment.configure()
    from nst_tf.tools import batch_benchmark

    width, height = (int(v) for v in _SIZE.value.lower().split("x"))
    batch_benchmark.run(width, height, [int(n) for n in _BATCH_SIZES.value], _REPEATS.value)


if __name__ == "__main__":
    app.run(main)

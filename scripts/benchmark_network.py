"""Speed of the style network on this machine: training steps/s, nst-tf-apply images/s, and
one apply call against the paper's 200-iteration optimisation of the same image.

python scripts/benchmark_network.py                       # 256 px batch 4; apply 400x300
python scripts/benchmark_network.py --apply_sizes=400x300,1024x768 --repeats=10
"""

from __future__ import annotations

from absl import app, flags

from nst_tf.runtime import environment

_IMAGE_SIZE = flags.DEFINE_integer("image_size", 256, "Training crop side.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 4, "Training batch.")
_WIDTH = flags.DEFINE_float("width", 1.0, "Network width multiplier.")
_APPLY_SIZES = flags.DEFINE_list("apply_sizes", ["400x300"], "WIDTHxHEIGHT photos to apply to.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed calls per case (after 2 warm-up).")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    environment.configure()
    from nst_tf.config import load_config_table
    from nst_tf.tools import network_benchmark
    from nst_tf.training.config import COMMAND, make_network_config

    overrides = dict(image_size=_IMAGE_SIZE.value, photo_size=_IMAGE_SIZE.value)
    overrides.update(batch_size=_BATCH_SIZE.value, width=_WIDTH.value)
    config = make_network_config(load_config_table("network", COMMAND), overrides)
    sizes = [tuple(int(v) for v in size.lower().split("x")) for size in _APPLY_SIZES.value]
    network_benchmark.run(config, sizes, _REPEATS.value)


if __name__ == "__main__":
    app.run(main)

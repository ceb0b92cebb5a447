"""Peak memory of a run, estimated from the image size before anything large is allocated.

The step keeps every ReLU output down to the deepest layer it needs for the backward pass,
and the backward pass holds a few gradients of the same sizes at once; the rest is the
TensorFlow runtime and the kernels. The constants are calibrated against measured peak RSS
(scripts/benchmark.py prints both), so a size that cannot fit stops with a message instead
of an out-of-memory kill halfway through.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from absl import logging

from nst_tf.errors import UserError
from nst_tf.model import vgg

# Fitted to peak RSS measured in fresh processes at 1024x768 and 2048x1536 (plain: 2.24 and
# 6.34 GiB; scripts/benchmark_memory.py, docs/performance.md): TensorFlow, Keras, Python, the
# weights and the build's buffers, then 1.46-1.53x the float32 activations (rounded up).
RUNTIME_BYTES = 750 * 2**20
ACTIVATION_FACTOR = 1.6  # saved forward activations + backward temporaries, measured
# With blocks recomputed (nst_tf/model/recompute.py): what stays from the forward pass (block
# inputs and the layers the losses read) and one block rerun with its gradients. The two grow
# together with the image, so one factor is fitted to both: step peaks measured at 1024, 2048
# and 4096 px (1.99, 5.78, 20.6 GiB) are 1.37-1.39x these activations, and a whole 4096x3072
# run (a coarser scale before it, image writes) peaked at 21.6 GiB: 1.5 covers that.
KEPT_FACTOR = 1.5
BLOCK_FACTOR = 1.5
# Image-sized float32 arrays of each optimizer's state and step, on top of the activations:
# Adam's image, last finite image, two moments, gradient and update (the fits above fell short
# of Adam peaks measured since: 2.33-2.38 GiB at 1024x768); L-BFGS's image, last finite image,
# gradient, its (s, y) pairs (--lbfgs_history, 10 by default) and the line search's direction,
# trial point and gradients, fitted to its peaks at 1024x768 and 2048x1536 with 10 pairs (2.54
# and 7.41 GiB: docs/performance.md, "L-BFGS in TensorFlow").
ADAM_IMAGES = 6
LBFGS_IMAGES_BESIDES_PAIRS = 14


def optimizer_images(optimizer: str, history: int = 10) -> int:
    """Image-sized arrays `optimizer` holds (L-BFGS: 2 per correction pair of `history`)."""
    images = {"adam": ADAM_IMAGES, "lbfgs": 2 * history + LBFGS_IMAGES_BESIDES_PAIRS}
    return images[optimizer]


def _layer_sizes(width: int, height: int, deepest: str) -> Iterable[tuple[str, int]]:
    """(layer, elements) for every conv/pool output down to `deepest` (SAME pooling)."""
    for name in vgg.VGG19_LAYERS[: vgg.VGG19_LAYERS.index(deepest) + 1]:
        block = int(name[4])
        if name.startswith("pool"):
            width, height = -(-width // 2), -(-height // 2)
            yield name, width * height * vgg.VGG19_CHANNELS[block]
        elif name.startswith("conv"):
            yield name, width * height * vgg.VGG19_CHANNELS[block]


def estimate_peak_bytes(
    width: int,
    height: int,
    layers: Iterable[str],
    recompute: bool = False,
    optimizer: str = "adam",
    history: int = 10,
) -> int:
    """Peak RSS of a run at width x height whose terms read `layers` (see the module doc)."""
    layers = list(layers)
    deepest = max(layers, key=vgg.VGG19_LAYERS.index)
    sizes = list(_layer_sizes(width, height, deepest))
    if recompute:
        kept = sum(size for name, size in sizes if name.startswith("pool") or name in layers)
        blocks: dict[str, int] = {}
        for name, size in sizes:
            blocks[name[4]] = blocks.get(name[4], 0) + size
        activations = KEPT_FACTOR * kept + BLOCK_FACTOR * max(blocks.values())
    else:
        activations = ACTIVATION_FACTOR * sum(size for _, size in sizes)
    kernels, in_channels = 0, 3
    for name, _ in _layer_sizes(1, 1, deepest):
        if name.startswith("conv"):
            kernels += 9 * in_channels * vgg.VGG19_CHANNELS[int(name[4])]
            in_channels = vgg.VGG19_CHANNELS[int(name[4])]
    # Kernels are held twice (forward and flipped, nst_tf.layers). Activations are counted as
    # float32 for every precision: bfloat16 runs measured the same peak on CPU.
    state = optimizer_images(optimizer, history) * width * height * 3
    return int(RUNTIME_BYTES + 2 * 4 * kernels + (activations + state) * 4)


def available_bytes() -> int:
    """MemAvailable, capped by a cgroup limit when the process runs in one."""
    available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as handle:
            limit = handle.read().strip()
        if limit.isdigit():
            available = min(available, int(limit))
    except OSError:
        pass
    return available


# A size that fits, said with the flag the user sets the size with (check_fits' size_flag).
SMALLER_SIZE = {
    "--width/--height": "--width={width} --height={height}",
    "--image_size": "--image_size={long_side}",
    "--scales": "--scales ending at {long_side}",
}


def check_fits(
    width: int,
    height: int,
    layers: Iterable[str],
    recompute: bool = False,
    size_flag: str = "--width/--height",
    optimizer: str = "adam",
    history: int = 10,
) -> int:
    """Logs the estimate; raises UserError (with a size that fits, in `size_flag`'s terms, one
    of SMALLER_SIZE) when it exceeds memory."""
    layers = list(layers)
    needed = estimate_peak_bytes(width, height, layers, recompute, optimizer, history)
    available = available_bytes()
    logging.info(
        "Estimated peak memory at %dx%d%s: %.2f GiB of %.2f GiB available",
        width,
        height,
        " (VGG blocks recomputed in the backward pass)" if recompute else "",
        needed / 2**30,
        available / 2**30,
    )
    if needed > available:
        scale = ((available - RUNTIME_BYTES) / max(needed - RUNTIME_BYTES, 1)) ** 0.5
        fits = (max(int(width * scale * 0.9), 1), max(int(height * scale * 0.9), 1))
        smaller = SMALLER_SIZE[size_flag].format(width=fits[0], height=fits[1], long_side=max(fits))
        raise UserError(
            f"a {width}x{height} image needs about {needed / 2**30:.1f} GiB but only "
            f"{available / 2**30:.1f} GiB is available; try {smaller}"
        )
    return needed


def batch_capacity(width: int, height: int, layers: Iterable[str], most: int) -> int:
    """How many images of this size one device can optimise at once (at least 1, at most `most`).

    Each further image adds the activations of one image to the estimate; the runtime and the
    kernels are paid once.
    """
    layers = list(layers)
    one = estimate_peak_bytes(width, height, layers)
    per_image = one - estimate_peak_bytes(0, 0, layers)
    return int(max(1, min(most, (available_bytes() - one) // max(per_image, 1) + 1)))


def choose_recompute(
    width: int,
    height: int,
    layers: Iterable[str],
    requested: bool | None = None,
    size_flag: str = "--width/--height",
    optimizer: str = "adam",
    history: int = 10,
) -> bool:
    """`needs_recompute`, with its estimate logged; raises if the chosen path does not fit."""
    layers = list(layers)
    requested = needs_recompute(width, height, layers, requested, optimizer, history)
    check_fits(width, height, layers, requested, size_flag, optimizer, history)
    return requested


def needs_recompute(
    width: int,
    height: int,
    layers: Iterable[str],
    requested: bool | None = None,
    optimizer: str = "adam",
    history: int = 10,
) -> bool:
    """Whether to recompute VGG blocks in the backward pass: `requested`, or if unset, only
    when the plain step's estimate exceeds the memory available."""
    if requested is not None:
        return requested
    needed = estimate_peak_bytes(width, height, layers, optimizer=optimizer, history=history)
    return needed > available_bytes()

"""What the machine can do fast, read from the OS, for precision advice and benchmark reports."""

from __future__ import annotations

import functools
import platform


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags Linux reports (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_summary() -> str:
    flags = cpu_flags()
    vector = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]
    return f"{platform.processor() or platform.machine()} ({', '.join(vector) or 'no AVX'})"


def bfloat16_hardware() -> str | None:
    """What runs bfloat16 convs fast here (GPU, TPU, AVX512_BF16/AMX CPU), or None."""
    import tensorflow as tf

    for kind in ("TPU", "GPU"):
        if tf.config.list_logical_devices(kind):
            return f"a {kind}"
    found = sorted({"avx512_bf16", "amx_bf16"} & cpu_flags())
    return f"a CPU with {'/'.join(found)}" if found else None


def has_fast_bfloat16() -> bool:
    """bfloat16 convs pay off on GPUs/TPUs and on CPUs with AVX512_BF16 or AMX instructions."""
    return bfloat16_hardware() is not None


def resolve_precision(precision: str) -> tuple[str, str]:
    """(precision to run, why): `auto` picks bfloat16 where the hardware has it, else float32.

    Measured on a Zen 4 CPU with AVX512_BF16: bf16 convs 1.8x faster than fp32 with the paper's
    trace within 0.6%; on a Zen 3 without them, no faster (docs/performance.md).
    """
    if precision != "auto":
        return precision, "requested with --precision"
    hardware = bfloat16_hardware()
    if hardware is not None:
        return "bfloat16", f"--precision=auto: {hardware} runs bfloat16 convs fast"
    return "float32", "--precision=auto: no AVX512_BF16/AMX CPU, GPU or TPU for fast bfloat16"


def resolve_jit(jit: bool | None) -> bool:
    """XLA when asked; unset, only on TPUs, which need it.

    On the CPUs measured here XLA made the step slower (docs/performance.md); on GPUs it has not
    been measured yet, so TensorFlow's own default (off) stands there until it is.
    """
    if jit is not None:
        return jit
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("TPU"))

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


def has_fast_bfloat16() -> bool:
    """bfloat16 convs pay off on GPUs/TPUs and on CPUs with AVX512_BF16 or AMX instructions."""
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"):
        return True
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def resolve_jit(jit: bool | None) -> bool:
    """XLA when asked; unset, only on TPUs, which need it.

    On the CPUs measured here XLA made the step slower (docs/performance.md); on GPUs it has not
    been measured yet, so TensorFlow's own default (off) stands there until it is.
    """
    if jit is not None:
        return jit
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("TPU"))

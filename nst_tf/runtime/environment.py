"""Process-wide TensorFlow settings, chosen by entry points before TensorFlow is imported.

Importing nst_tf changes nothing; `nst-tf` and the scripts call `configure` first.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from absl import logging as absl_logging


def configure(verbosity: int = 0, startup: Callable[[], Any] | None = None) -> Any:
    """Sets the allocator, then starts TensorFlow quietly unless `verbosity` asks for its lines.

    `startup`, when given, runs as soon as TensorFlow is imported, before anything initialises
    its context, and its result is returned: a MultiWorkerMirroredStrategy must be made then,
    since it configures collective ops, which TensorFlow refuses once the context is up.

    TensorFlow's BFC allocator on the CPU reuses one pool instead of glibc's per-thread arenas:
    measured at 400x300, peak RSS fell from 1.28 to 1.0 GiB at equal or better step time
    (docs/performance.md). TensorFlow reads it once, at its first allocation; an explicit
    setting in the environment wins.
    """
    os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
    if verbosity > 0:
        return startup() if startup is not None else None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = _start_tensorflow_silently(startup)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    absl_logging.get_absl_handler().addFilter(_hide_library_info)
    return started


def _hide_library_info(record: logging.LogRecord) -> bool:
    """Drops INFO lines that TensorFlow and Keras log through absl (checkpoint sharding etc.)."""
    library = f"{os.sep}tensorflow{os.sep}" in record.pathname or (
        f"{os.sep}keras{os.sep}" in record.pathname
    )
    return record.levelno >= logging.WARNING or not library


def _start_tensorflow_silently(startup: Callable[[], Any] | None) -> Any:
    """Imports TensorFlow and finds its devices with the process's stderr pointed elsewhere.

    TensorFlow 2.21 prints its start-up lines (the oneDNN notice, "Could not find cuda
    drivers", a CPU machine's "failed call to cuInit") through C++ absl logging, which
    TF_CPP_MIN_LOG_LEVEL does not reach, so only the file descriptor can hide them. Python
    errors raised here still print after it is restored.
    """
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        started = startup() if startup is not None else None
        tf.config.list_logical_devices()  # device discovery is where the CUDA probe logs
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return started

"""Atomic output files: written beside their destination, then renamed over it.

A crash or an interrupt therefore leaves either the previous complete file or the new complete
file, never half of one; finished outputs are never lost.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from nst_tf.errors import UserError


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yields a temporary path (same folder, same extension) that becomes `path` on success."""
    root, extension = os.path.splitext(path)
    tmp_path = f"{root}.tmp{os.getpid()}{extension}"
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as err:  # a full disk or a vanished folder: the user's to fix, in one line
        raise UserError(
            f"cannot write {path} ({err.strerror or err}); check that its folder exists, is "
            "writable and has free space"
        ) from None
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


def write_text(path: str, text: str) -> None:
    with atomic_path(path) as tmp_path, open(tmp_path, "w") as handle:
        handle.write(text)

"""config.json: the resolved config, versions, weights provenance, status and wall time.

It is written when a run starts (status "running"), so a run killed with `kill -9` can still be
resumed and checked against, and rewritten atomically at every change of status.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from nst_tf import __version__
from nst_tf.errors import UserError
from nst_tf.files import write_text

CONFIG_FILE = "config.json"


def versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "nst_tf": __version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def write_record(
    output_dir: str,
    settings: Mapping[str, Any],
    status: str,
    completed: int,
    seconds: float,
    weights: dict | None,
    precision: dict | None,
    **extra: Any,
) -> None:
    """config.json with the same keys for every command; `extra` adds what ended a run."""
    record = {
        "status": status,
        "completed_iterations": completed,
        "wall_seconds": round(seconds, 3),
        "config": dict(settings),
        "weights": weights,
        "precision": precision,
        "versions": versions(),
        **extra,
    }
    write_text(os.path.join(output_dir, CONFIG_FILE), json.dumps(record, indent=2) + "\n")


def read_record(output_dir: str) -> dict[str, Any]:
    path = os.path.join(output_dir, CONFIG_FILE)
    try:
        with open(path) as handle:
            record = json.load(handle)
        if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
            raise ValueError(path)
    except OSError:
        raise UserError(
            f"nothing to resume in {output_dir}: {CONFIG_FILE} is missing; run without --resume"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise UserError(
            f"{path} is damaged or not an nst-tf config.json; delete the folder or pass another "
            "--output_dir to start afresh"
        ) from None
    return record

"""Optimizers by name: `--optimizer=NAME` builds nst_tf.optim.NAME's `from_config`.

As big_vision picks a model module by its config name, a new optimizer is a module here with a
`from_config(config, objective, initial_image, jit)` plus its name below; nothing else changes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nst_tf.objective.objective import Objective
    from nst_tf.optim.loop import ImageOptimizer

OPTIMIZERS = ("adam", "lbfgs")


def make_optimizer(
    config: Any, objective: Objective, initial_image: np.ndarray, jit: bool
) -> ImageOptimizer:
    """The optimizer `config.optimizer` names, over `objective`, starting at `initial_image`."""
    module = importlib.import_module(f"nst_tf.optim.{config.optimizer}")
    return module.from_config(config, objective, initial_image, jit)

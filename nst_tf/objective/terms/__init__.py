"""Cost terms by name, one module each: `content`, `style`, `tv`, `photorealism`, `mrf`.

As optimizers are picked by `--optimizer`, the objective's terms are picked by name: those
`--terms` lists (the paper's: content,style), plus every optional term given a positive weight
(`--tv_weight`, `--photorealism_weight`, `--mrf_weight`). A new term is a module here with a
`from_config(config)` returning a `Term` (nst_tf.objective.terms.base), its name in TERMS and,
if optional, its weight setting in WEIGHTED; nothing else changes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importing this package must not start TensorFlow (config.py reads TERMS)
    from nst_tf.objective.terms.base import Term

TERMS = ("content", "style", "tv", "photorealism", "mrf")
# optional term -> the setting whose positive value turns it on
WEIGHTED = {"tv": "tv_weight", "photorealism": "photorealism_weight", "mrf": "mrf_weight"}
# eq. 1 as printed, Gatys et al.'s, or Torch's MSE (Li & Wand's) (content.py)
CONTENT_NORMALIZATIONS = ("paper", "gatys2016", "mean")


def term_names(config: Any) -> list[str]:
    """The objective's terms in order: `config.terms`, then optional ones with a weight."""
    names = list(config.terms)
    names += [name for name, setting in WEIGHTED.items() if getattr(config, setting) > 0]
    return list(dict.fromkeys(names))


def make_terms(config: Any) -> list[Term]:
    """The terms `config` asks for, each built by its module's `from_config`."""
    return [
        importlib.import_module(f"nst_tf.objective.terms.{name}").from_config(config)
        for name in term_names(config)
    ]

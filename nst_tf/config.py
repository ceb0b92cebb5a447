"""The run's settings: a config file's `get_config()` table, overridden by flags, validated once.

Config files are Python files (big_vision style) whose `get_config()` returns a plain dict; the
paper's table is `configs/paper.py`, installed as `nst_tf.configs.paper`. `--config` takes a
built-in name (`paper`) or a path to such a file.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
from collections.abc import Mapping, Sequence
from typing import Any

from nst_tf.errors import UserError
from nst_tf.model import vgg

StyleLayers = tuple[tuple[str, float], ...]


@dataclasses.dataclass(frozen=True)
class Config:
    """Every setting of one run; field docs live in `configs/paper.py` and the flag help."""

    content: str | None
    style: str | None
    output_dir: str
    vgg_path: str
    width: int
    height: int
    means: tuple[float, float, float]
    pooling: str
    content_layer: str
    style_layers: StyleLayers
    alpha: float
    beta: float
    learning_rate: float
    num_iterations: int
    noise_ratio: float
    noise_range: float
    seed: int
    log_every: int
    save_every: int
    precision: str
    jit: bool | None  # None: chosen per device (stylize.resolve_jit)

    def validate(self) -> Config:
        """Raises UserError for the first setting a run could not use."""
        for name in ("width", "height", "num_iterations", "log_every", "save_every"):
            if getattr(self, name) <= 0:
                raise UserError(f"--{name} must be a positive integer, got {getattr(self, name)}")
        if self.learning_rate <= 0:
            raise UserError(f"--learning_rate must be positive, got {self.learning_rate}")
        if not 0.0 <= self.noise_ratio <= 1.0:
            raise UserError(f"--noise_ratio must be within [0, 1], got {self.noise_ratio}")
        if not 0 <= self.seed < 2**32:
            raise UserError(f"--seed must be within [0, 2**32), got {self.seed}")
        if not self.style_layers:
            raise UserError("--style_layers is empty: give at least one layer, e.g. conv1_1:1.0")
        vgg.check_layer_names([self.content_layer, *(name for name, _ in self.style_layers)])
        if self.pooling not in vgg.POOLINGS:
            raise UserError(
                f"--pooling must be one of {', '.join(vgg.POOLINGS)}, got {self.pooling}"
            )
        if self.precision not in vgg.PRECISIONS:
            raise UserError(
                f"--precision must be one of {', '.join(vgg.PRECISIONS)}, got {self.precision}"
            )
        if len(self.means) != 3:
            raise UserError(f"means must hold 3 RGB values, got {self.means}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def parse_style_layers(text: str) -> StyleLayers:
    """'conv1_1:0.2,conv2_1:0.2' -> (('conv1_1', 0.2), ('conv2_1', 0.2))."""
    layers = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, weight = item.partition(":")
        try:
            layers.append((name.strip(), float(weight) if sep else 1.0))
        except ValueError:
            raise UserError(
                f"--style_layers item {item!r} is not NAME:WEIGHT (e.g. conv1_1:0.2)"
            ) from None
    return tuple(layers)


def load_config_table(name_or_path: str) -> dict[str, Any]:
    """Runs a config file's get_config(): a built-in name (`paper`) or a path to a .py file."""
    if name_or_path.endswith(".py") or os.sep in name_or_path:
        if not os.path.isfile(name_or_path):
            raise UserError(f"config file not found: {name_or_path}; pass a .py file or `paper`")
        spec = importlib.util.spec_from_file_location("nst_tf_user_config", name_or_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(f"nst_tf.configs.{name_or_path}")
        except ModuleNotFoundError:
            raise UserError(
                f"unknown config {name_or_path!r}: use `paper` or a path to a config .py file"
            ) from None
    if not hasattr(module, "get_config"):
        raise UserError(f"config {name_or_path} has no get_config() function")
    return dict(module.get_config())


def make_config(table: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Config:
    """Merges flag overrides (None means 'not given') into a config table and validates it."""
    merged = dict(table)
    merged.update({key: value for key, value in (overrides or {}).items() if value is not None})
    fields = {field.name for field in dataclasses.fields(Config)}
    unknown = sorted(set(merged) - fields)
    missing = sorted(fields - set(merged))
    if unknown or missing:
        raise UserError(f"config keys: unknown {unknown}, missing {missing}")
    if isinstance(merged["style_layers"], str):
        merged["style_layers"] = parse_style_layers(merged["style_layers"])
    merged["style_layers"] = _as_style_layers(merged["style_layers"])
    merged["means"] = tuple(float(m) for m in merged["means"])
    return Config(**merged).validate()


def _as_style_layers(layers: Sequence) -> StyleLayers:
    return tuple((str(name), float(weight)) for name, weight in layers)

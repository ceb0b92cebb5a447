"""--precision=auto: bfloat16 exactly where the hardware runs it fast, and the reason recorded."""

from __future__ import annotations

import json

import pytest
import tensorflow as tf

from nst_tf import stylize
from nst_tf.runtime import devices
from tests.helpers import tiny_config


def _machine(monkeypatch, flags, accelerators=()):
    monkeypatch.setattr(devices, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(
        tf.config,
        "list_logical_devices",
        lambda kind=None: ["device"] if kind in accelerators else [],
    )


@pytest.mark.parametrize(
    "flags, accelerators, expected, reason",
    [
        ({"avx2", "avx512f", "avx512_bf16"}, (), "bfloat16", "a CPU with avx512_bf16"),
        ({"avx2", "amx_bf16"}, (), "bfloat16", "a CPU with amx_bf16"),
        ({"avx2", "avx512f"}, (), "float32", "no AVX512_BF16/AMX CPU, GPU or TPU"),
        ({"avx2"}, ("GPU",), "bfloat16", "a GPU"),
        (set(), ("TPU",), "bfloat16", "a TPU"),
    ],
)
def test_auto_picks_bfloat16_only_on_fast_hardware(
    monkeypatch, flags, accelerators, expected, reason
):
    _machine(monkeypatch, flags, accelerators)
    precision, why = devices.resolve_precision("auto")
    assert precision == expected and reason in why


def test_an_explicit_precision_is_kept_whatever_the_hardware(monkeypatch):
    _machine(monkeypatch, {"avx512_bf16"})
    assert devices.resolve_precision("float32") == ("float32", "requested with --precision")
    _machine(monkeypatch, set())
    assert devices.resolve_precision("bfloat16")[0] == "bfloat16"


def test_config_json_records_the_chosen_precision_and_why(
    monkeypatch, tiny_vgg_path, tiny_images, tmp_path
):
    monkeypatch.setattr(devices, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    config = tiny_config(tiny_vgg_path, tiny_images, tmp_path, precision="auto", num_iterations=2)
    stylize.stylize(config)
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["config"]["precision"] == "auto"
    assert record["precision"]["used"] == "bfloat16"
    assert "avx512_bf16" in record["precision"]["reason"]

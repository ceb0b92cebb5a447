"""Every console script's --help, as a new user first runs it: its flags, and no TensorFlow
start-up noise (the commands define their flags before TensorFlow starts quietly)."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOISE = ("oneDNN", "cuInit", "cuda drivers", "absl::InitializeLog")


def _console_scripts() -> dict[str, str]:
    setup = configparser.ConfigParser()
    setup.read(os.path.join(ROOT, "setup.cfg"))
    lines = setup["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(
        (name.strip(), target.split(":")[0].strip())
        for name, target in (line.split("=") for line in lines)
    )


def test_every_console_script_is_checked():
    assert set(_console_scripts()) == {
        "nst-tf", "nst-tf-batch", "nst-tf-fetch", "nst-tf-train", "nst-tf-apply"
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(_console_scripts()))
def test_help_lists_the_flags_quietly(name):
    module = _console_scripts()[name]
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120
    )
    # absl's --help ends with exit code 1 (app.run's HelpFlag); nothing may go wrong before it.
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    assert any(flag in result.stdout for flag in ("--output_dir", "--out", "--vgg_path"))
    for noise in NOISE:
        assert noise not in result.stderr, f"{name} --help printed {noise!r}"

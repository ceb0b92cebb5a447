"""Every config file in configs/ runs, so no variant config can rot unnoticed."""

from __future__ import annotations

import importlib
import os

import pytest

from nst_tf import stylize
from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.runtime.distribute import make_strategy
from nst_tf.training.config import COMMAND as NETWORK_COMMAND
from nst_tf.training.config import make_network_config
from nst_tf.training.run import train

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs")
ALL = sorted(
    name[:-3] for name in os.listdir(CONFIGS) if name.endswith(".py") and name != "__init__.py"
)


def _command(name: str) -> str:
    return getattr(importlib.import_module(f"nst_tf.configs.{name}"), "COMMAND", "nst-tf")


NAMES = [name for name in ALL if _command(name) == "nst-tf"]
NETWORK_NAMES = [name for name in ALL if _command(name) == NETWORK_COMMAND]


def test_every_config_names_a_known_command():
    assert sorted(NAMES + NETWORK_NAMES) == ALL


@pytest.mark.parametrize("name", NETWORK_NAMES)
def test_network_config_trains_two_steps_on_tiny_crops(
    name, tiny_vgg_path, network_inputs, tmp_path
):
    styles, photos = network_inputs
    overrides = dict(styles=styles, train_images=photos, vgg_path=tiny_vgg_path)
    overrides.update(output_dir=str(tmp_path), image_size=16, photo_size=20, style_size=20)
    overrides.update(batch_size=2, num_steps=2, width=0.125, tensorboard=False)
    config = make_network_config(load_config_table(name, NETWORK_COMMAND), overrides)
    result = train(config, make_strategy("one_device"))
    assert [row["iteration"] for row in result.trace] == [0, 1]  # the first and the last
    assert os.path.isdir(result.saved_model)


def test_a_config_for_another_command_is_one_line():
    with pytest.raises(UserError, match="config network is for nst-tf-train, not nst-tf"):
        load_config_table("network")


@pytest.mark.parametrize("name", NAMES)
def test_config_runs_two_iterations_at_16x12(name, tiny_vgg_path, tiny_images, tmp_path):
    content, style = tiny_images
    table = load_config_table(name)
    # The MRF term's 3x3 patches need conv4_1 maps of 3x3 (24 px a side): 40x30 for it.
    width, height, scales = (40, 30, (32, 40)) if table.get("mrf_weight") else (16, 12, (8, 16))
    overrides = dict(content=content, style=style, vgg_path=tiny_vgg_path)
    overrides.update(output_dir=str(tmp_path), width=width, height=height, num_iterations=2)
    if table.get("scales"):  # coarse to fine: the last scale sets the size
        overrides.update(scales=scales, scale_iterations=(1, 1))
    config = make_config(table, overrides)
    result = stylize.stylize(config)
    assert result.image.shape == (height, width, 3)
    assert os.path.exists(tmp_path / "generated_image.jpg")


def test_the_paper_config_is_found_by_name_and_by_path():
    assert load_config_table("paper") == load_config_table(os.path.join(CONFIGS, "paper.py"))

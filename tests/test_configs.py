"""Every config file in configs/ runs, so no variant config can rot unnoticed."""

from __future__ import annotations

import os

import pytest

from nst_tf import stylize
from nst_tf.config import load_config_table, make_config

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs")
NAMES = sorted(
    name[:-3] for name in os.listdir(CONFIGS) if name.endswith(".py") and name != "__init__.py"
)


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

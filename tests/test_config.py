"""The config table: files, overrides, validation."""

from __future__ import annotations

import pytest

from nst_tf import config
from nst_tf.errors import UserError

PAPER_STYLE_LAYERS = tuple((f"conv{block}_1", 0.2) for block in range(1, 6))


def test_paper_table():
    table = config.load_config_table("paper")
    assert table["width"] == 400 and table["height"] == 300
    assert tuple(table["means"]) == (123.68, 116.779, 103.939)
    assert table["pooling"] == "avg"
    assert table["content_layer"] == "conv4_2"
    assert tuple(tuple(item) for item in table["style_layers"]) == PAPER_STYLE_LAYERS
    assert table["alpha"] == 10.0 and table["beta"] == 40.0
    assert table["learning_rate"] == 2.0
    assert table["num_iterations"] == 200
    assert table["noise_ratio"] == 0.6
    assert table["log_every"] == 20
    cfg = config.make_config(table)
    assert cfg.style_layers == PAPER_STYLE_LAYERS
    assert cfg.means == (123.68, 116.779, 103.939)
    assert (cfg.width, cfg.height, cfg.alpha, cfg.beta) == (400, 300, 10.0, 40.0)


def test_make_config_overrides_only_non_none():
    table = config.load_config_table("paper")
    cfg = config.make_config(
        table, {"width": 200, "height": None, "style_layers": "conv1_1:0.5,conv3_1:0.5"}
    )
    assert cfg.width == 200
    assert cfg.height == 300
    assert cfg.style_layers == (("conv1_1", 0.5), ("conv3_1", 0.5))
    assert cfg.learning_rate == 2.0
    assert table["width"] == 400  # the table itself is not modified


def test_parse_layers():
    assert config.parse_layers("conv1_1:0.5,conv3_1:0.5") == (
        ("conv1_1", 0.5),
        ("conv3_1", 0.5),
    )
    assert config.parse_layers(" conv2_1 : 2 , conv5_1 ,") == (
        ("conv2_1", 2.0),
        ("conv5_1", 1.0),
    )
    with pytest.raises(UserError, match="NAME:WEIGHT"):
        config.parse_layers("conv1_1:abc")


@pytest.mark.parametrize(
    "overrides",
    [
        {"width": 0},
        {"height": -3},
        {"num_iterations": 0},
        {"log_every": 0},
        {"learning_rate": 0.0},
        {"noise_ratio": 1.5},
        {"content_layer": "conv9_9"},
        {"content_layer": "relu4_2"},
        {"style_layers": "conv1_1:0.5,conv6_1:0.5"},
        {"style_layers": "conv1_1=0.5"},
        {"style_layers": "conv1_1:x"},
        {"style_layers": ""},
        {"pooling": "median"},
        {"precision": "float16"},
        {"widht": 300},
    ],
)
def test_make_config_rejects(overrides):
    with pytest.raises(UserError) as info:
        config.make_config(config.load_config_table("paper"), overrides)
    assert "\n" not in str(info.value)


def test_unknown_and_missing_keys():
    table = config.load_config_table("paper")
    with pytest.raises(UserError, match="unknown"):
        config.make_config({**table, "colour": "blue"})
    del table["seed"]
    with pytest.raises(UserError, match="seed"):
        config.make_config(table)


def test_unknown_config_name_lists_every_shipped_config():
    with pytest.raises(UserError, match="unknown config 'picasso': use one of") as error:
        config.load_config_table("picasso")
    shipped = config.shipped_configs()
    assert {"paper", "fast", "gatys2016"} <= set(shipped)
    assert ", ".join(shipped) in str(error.value)


def test_config_file_by_path(tmp_path):
    path = tmp_path / "small.py"
    path.write_text(
        "from nst_tf.configs import paper\n\n\n"
        "def get_config():\n"
        "    table = paper.get_config()\n"
        "    table.update(width=64, height=48, style_layers='conv1_1:1.0')\n"
        "    return table\n"
    )
    cfg = config.make_config(config.load_config_table(str(path)))
    assert (cfg.width, cfg.height) == (64, 48)
    assert cfg.style_layers == (("conv1_1", 1.0),)
    assert cfg.num_iterations == 200
    with pytest.raises(UserError, match="not found"):
        config.load_config_table(str(tmp_path / "missing.py"))
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    with pytest.raises(UserError, match="get_config"):
        config.load_config_table(str(empty))

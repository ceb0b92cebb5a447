"""trace.csv, reported traces and their comparison; the config table; the memory estimate."""

from __future__ import annotations

import json
import math

import pytest

from nst_tf import config, memory, trace, vgg
from nst_tf.errors import UserError

HEADER = "iteration,total_cost,content_cost,style_cost,seconds"
PAPER_STYLE_LAYERS = (
    ("conv1_1", 0.2),
    ("conv2_1", 0.2),
    ("conv3_1", 0.2),
    ("conv4_1", 0.2),
    ("conv5_1", 0.2),
)


def _row(iteration, total, content, style, seconds=0.0):
    return {
        "iteration": iteration,
        "total_cost": total,
        "content_cost": content,
        "style_cost": style,
        "seconds": seconds,
    }


# ----------------------------------------------------------------------------- trace


def test_trace_writer_is_complete_after_each_append(tmp_path):
    path = str(tmp_path / "trace.csv")
    writer = trace.TraceWriter(path)
    with open(path) as handle:
        assert handle.read() == HEADER + "\n"
    writer.append(_row(0, 5050000000.0, 7877.67, 126234000.0, 1.5))
    with open(path) as handle:
        assert handle.read() == HEADER + "\n0,5.05e+09,7877.67,126234000,1.500\n"
    writer.append({**_row(20, 1.25, 0.5, 0.0625, 12.3456), "extra": 1})
    with open(path) as handle:
        lines = handle.read().splitlines()
    assert lines == [HEADER, "0,5.05e+09,7877.67,126234000,1.500", "20,1.25,0.5,0.0625,12.346"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.csv"]


def test_trace_writer_rejects_row_without_a_column(tmp_path):
    writer = trace.TraceWriter(str(tmp_path / "trace.csv"))
    with pytest.raises(KeyError):
        writer.append({"iteration": 0, "total_cost": 1.0})


def test_read_trace_round_trips(tmp_path):
    path = str(tmp_path / "trace.csv")
    writer = trace.TraceWriter(path)
    rows = [_row(0, 1234.5, 12.25, 30.5, 0.125), _row(20, 0.001953125, 1e-9, 3.5e12, 2.5)]
    for row in rows:
        writer.append(row)
    back = trace.read_trace(path)
    assert back == rows
    assert isinstance(back[1]["iteration"], int)


def test_read_trace_errors(tmp_path):
    with pytest.raises(UserError, match="cannot read trace"):
        trace.read_trace(str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match=r"not a trace\.csv"):
        trace.read_trace(str(bad))


def test_read_reported(tmp_path):
    path = tmp_path / "paper_trace.json"
    table = {
        "source": "paper",
        "iterations": [
            {"iteration": 0, "total_cost": 5.05e9, "content_cost": 7877.67, "style_cost": 1.26e8},
            {"iteration": "20", "total_cost": "9.4e8", "content_cost": 15, "style_cost": 2.35e7},
        ],
    }
    path.write_text(json.dumps(table))
    assert trace.read_reported(str(path)) == [
        {"iteration": 0, "total_cost": 5.05e9, "content_cost": 7877.67, "style_cost": 1.26e8},
        {"iteration": 20, "total_cost": 9.4e8, "content_cost": 15.0, "style_cost": 2.35e7},
    ]
    path.write_text(json.dumps({"rows": []}))
    with pytest.raises(UserError, match="not a reported trace"):
        trace.read_reported(str(path))
    with pytest.raises(UserError, match="cannot read reported trace"):
        trace.read_reported(str(tmp_path / "missing.json"))


OURS = [
    _row(0, 110.0, 45.0, 2.5),
    _row(20, 50.0, 20.0, 0.75),
    _row(40, 7.0, 3.0, 0.1),  # not reported: ignored
]
REPORTED = [
    {"iteration": 0, "total_cost": 100.0, "content_cost": 50.0, "style_cost": 2.0},
    {"iteration": 20, "total_cost": 40.0, "content_cost": 25.0, "style_cost": 1.0},
    {"iteration": 60, "total_cost": 1.0, "content_cost": 1.0, "style_cost": 1.0},  # not ours
]


def test_compare_relative_deviations():
    table = trace.compare(OURS, REPORTED)
    assert [row["iteration"] for row in table] == [0, 20]
    first, second = table
    # (110 - 100) / 100 = +0.10; (45 - 50) / 50 = -0.10; (2.5 - 2) / 2 = +0.25
    assert first["total_cost_deviation"] == pytest.approx(0.10)
    assert first["content_cost_deviation"] == pytest.approx(-0.10)
    assert first["style_cost_deviation"] == pytest.approx(0.25)
    assert first["total_cost_ours"] == 110.0 and first["total_cost_paper"] == 100.0
    # (50 - 40) / 40 = +0.25; (20 - 25) / 25 = -0.20; (0.75 - 1) / 1 = -0.25
    assert second["total_cost_deviation"] == pytest.approx(0.25)
    assert second["content_cost_deviation"] == pytest.approx(-0.20)
    assert second["style_cost_deviation"] == pytest.approx(-0.25)


def test_relative_deviation_uses_absolute_reported_value():
    assert trace.relative_deviation(-1.0, -2.0) == pytest.approx(0.5)  # (-1 - -2) / 2
    assert math.isnan(trace.relative_deviation(1.0, 0.0))


def test_comparison_markdown_has_signed_percentages():
    text = trace.comparison_markdown(trace.compare(OURS, REPORTED))
    lines = text.strip().splitlines()
    assert len(lines) == 4  # header, rule, two rows
    assert lines[2].startswith("| 0 | 110 | 100 | +10.0% | 45 | 50 | -10.0% | 2.5 | 2 | +25.0% |")
    assert lines[3] == "| 20 | 50 | 40 | +25.0% | 20 | 25 | -20.0% | 0.75 | 1 | -25.0% |"
    assert text.endswith("\n")


# ----------------------------------------------------------------------------- config


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


def test_parse_style_layers():
    assert config.parse_style_layers("conv1_1:0.5,conv3_1:0.5") == (
        ("conv1_1", 0.5),
        ("conv3_1", 0.5),
    )
    assert config.parse_style_layers(" conv2_1 : 2 , conv5_1 ,") == (
        ("conv2_1", 2.0),
        ("conv5_1", 1.0),
    )
    with pytest.raises(UserError, match="NAME:WEIGHT"):
        config.parse_style_layers("conv1_1:abc")


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


def test_unknown_config_name():
    with pytest.raises(UserError, match="unknown config"):
        config.load_config_table("picasso")


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


# ----------------------------------------------------------------------------- memory

PAPER_LAYERS = ["conv4_2", *(name for name, _ in PAPER_STYLE_LAYERS)]


def _activation_bytes(width, height):
    # At 0x0 only the runtime and the kernels remain.
    fixed = memory.estimate_peak_bytes(0, 0, PAPER_LAYERS)
    return memory.estimate_peak_bytes(width, height, PAPER_LAYERS) - fixed


def test_estimate_grows_linearly_in_pixels():
    small, big = _activation_bytes(400, 300), _activation_bytes(800, 600)
    assert small > 0
    assert big / small == pytest.approx(4.0, rel=0.02)
    # conv1_1 alone at 400x300: 120000 positions x 64 channels x 4 bytes x factor 3.
    one_layer = memory.estimate_peak_bytes(400, 300, ["conv1_1"])
    assert one_layer - memory.estimate_peak_bytes(0, 0, ["conv1_1"]) == (3 * 400 * 300 * 64 * 4)
    # Down to conv5_1 with SAME pooling: 400x300 -> 200x150 -> 100x75 -> 50x38 -> 25x19.
    elements = (
        2 * 400 * 300 * 64  # conv1_1, conv1_2
        + 200 * 150 * 64  # pool1
        + 2 * 200 * 150 * 128  # conv2_1, conv2_2
        + 100 * 75 * 128  # pool2
        + 4 * 100 * 75 * 256  # conv3_1 .. conv3_4
        + 50 * 38 * 256  # pool3
        + 4 * 50 * 38 * 512  # conv4_1 .. conv4_4
        + 25 * 19 * 512  # pool4
        + 25 * 19 * 512  # conv5_1
    )
    assert small == pytest.approx(3 * 4 * elements, abs=1)
    # The deepest layer sets the depth: conv5_1 needs more than conv4_2 alone.
    assert memory.estimate_peak_bytes(400, 300, PAPER_LAYERS) > (
        memory.estimate_peak_bytes(400, 300, ["conv4_2"])
    )


def test_check_fits_passes_with_enough_memory(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 64 * 2**30)
    needed = memory.check_fits(400, 300, PAPER_LAYERS)
    assert needed == memory.estimate_peak_bytes(400, 300, PAPER_LAYERS)


def test_check_fits_suggests_smaller_size(monkeypatch):
    available = 2 * 2**30
    monkeypatch.setattr(memory, "available_bytes", lambda: available)
    assert memory.estimate_peak_bytes(4000, 3000, PAPER_LAYERS) > available
    with pytest.raises(UserError) as info:
        memory.check_fits(4000, 3000, PAPER_LAYERS)
    message = str(info.value)
    assert "\n" not in message
    assert "4000x3000" in message
    width = int(message.split("--width=")[1].split()[0])
    height = int(message.split("--height=")[1].split()[0])
    assert 0 < width < 4000 and 0 < height < 3000
    assert width / height == pytest.approx(4 / 3, rel=0.02)
    assert memory.estimate_peak_bytes(width, height, PAPER_LAYERS) <= available


def test_memory_layer_sizes_use_vgg_names():
    # Every layer the estimate walks is a real VGG-19 layer, down to the deepest asked.
    names = [name for name, _ in memory._layer_sizes(10, 10, "conv4_2")]
    assert names[-1] == "conv4_2"
    assert all(name in vgg.VGG19_LAYERS for name in names)

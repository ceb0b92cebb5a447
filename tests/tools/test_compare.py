"""The paper's reported trace and the comparison of a run's trace with it."""

from __future__ import annotations

import json
import math

import pytest

from nst_tf.errors import UserError
from nst_tf.tools import compare as trace

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

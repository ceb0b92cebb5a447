"""Reproducing the paper: its run on louvre_small.jpg + monet.jpg, compared with section 4.

Writes, next to the run's own outputs: comparison.md / comparison.json (ours vs the printed
costs, relative deviation per reported iteration), figure4_initial.png, figure5.png
(content | style | generated), intermediates.png (the <i>.png snapshots as one sheet) and
cost_trace.png (needs matplotlib).
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import os
from collections.abc import Mapping
from typing import Any

import imageio.v3 as iio
from absl import logging

from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.files import write_text
from nst_tf.images import io as images
from nst_tf.outputs.run_folder import INITIAL_IMAGE, SIDE_BY_SIDE
from nst_tf.stylize import stylize
from nst_tf.tools import compare, figures

PAPER_CONTENT = "louvre_small.jpg"
PAPER_STYLE = "monet.jpg"


@dataclasses.dataclass(frozen=True)
class Reproduction:
    table: list[dict[str, float]]
    markdown: str
    seconds: float
    figures: list[str]


def reported_trace() -> list[dict[str, float]]:
    """The paper's printed costs (configs/paper_trace.json)."""
    resource = importlib.resources.files("nst_tf.configs") / "paper_trace.json"
    with importlib.resources.as_file(resource) as path:
        return compare.read_reported(str(path))


def reproduce(
    images_dir: str, output_dir: str, overrides: Mapping[str, Any] | None = None
) -> Reproduction:
    """Runs the paper config on the paper's images and writes the comparison and figures."""
    paths = [os.path.join(images_dir, name) for name in (PAPER_CONTENT, PAPER_STYLE)]
    for path in paths:
        if not os.path.isfile(path):
            raise UserError(
                f"{path} not found: pass --images_dir=DIR holding {PAPER_CONTENT} and "
                f"{PAPER_STYLE} (the paper's images, e.g. ../shared/paper/images)"
            )
    settings = {"content": paths[0], "style": paths[1], "output_dir": output_dir}
    settings.update(overrides or {})
    config = make_config(load_config_table("paper"), settings)
    result = stylize(config)

    table = compare.compare(result.trace, reported_trace())
    markdown = compare.comparison_markdown(table)
    write_text(os.path.join(output_dir, "comparison.md"), markdown)
    write_text(
        os.path.join(output_dir, "comparison.json"),
        json.dumps({"wall_seconds": round(result.seconds, 3), "rows": table}, indent=2) + "\n",
    )
    written = _write_figures(
        config.output_dir, config.num_iterations, config.save_every, result.trace
    )
    return Reproduction(table, markdown, result.seconds, written)


def _write_figures(
    output_dir: str, num_iterations: int, save_every: int, ours: list[dict[str, float]]
) -> list[str]:
    def out(name: str) -> str:
        return os.path.join(output_dir, name)

    images.save_image(out("figure4_initial.png"), iio.imread(out(INITIAL_IMAGE)))
    images.save_image(out("figure5.png"), iio.imread(out(SIDE_BY_SIDE)))
    snapshots = [iio.imread(out(f"{i}.png")) for i in range(0, num_iterations, save_every)]
    images.save_image(out("intermediates.png"), figures.contact_sheet(snapshots, columns=5))
    written = ["figure4_initial.png", "figure5.png", "intermediates.png"]
    try:
        figures.plot_cost_trace(ours, reported_trace(), out("cost_trace.png"))
        written.append("cost_trace.png")
    except ImportError:
        logging.warning(
            "matplotlib is not installed, so cost_trace.png is skipped; "
            "`pip install .[plots]` adds it"
        )
    return written

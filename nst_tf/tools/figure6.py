"""The paper's Figure 6: Gatys et al. (CVPR 2016) next to the paper's method, pair by pair.

Each pair of images runs through `stylize` twice, one run after the other in one process:
configs/gatys2016.py (L-BFGS from white noise, their normalisation and alpha/beta) and
configs/paper.py (Adam(2.0) from the noisy content image). The two methods minimise different
objectives, so their own final costs are not comparable; each result is therefore also scored
by one common yardstick, the paper's eq. 4 (alpha 10, beta 40) on the saved 8-bit image.

Writes figure6.jpg (a row per pair: content | style | Gatys et al. 2016 | this paper),
figure6.md / figure6.json (costs and wall times) and every run's own outputs in
`<output_dir>/<content>+<style>/{gatys2016,paper}/`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import tensorflow as tf

from nst_tf.build import build
from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.files import write_text
from nst_tf.images import io
from nst_tf.optim.loop import first_image_terms
from nst_tf.stylize import stylize
from nst_tf.tools import figures
from nst_tf.weights import locate

# The paper's pair first, then two more pairs from the same folder.
PAIRS = (
    ("louvre_small.jpg", "monet.jpg"),
    ("cat.jpg", "sandstone.jpg"),
    ("camp-nou.jpg", "stone_style.jpg"),
)
METHODS = (("gatys2016", "Gatys et al. 2016"), ("paper", "this paper"))


@dataclasses.dataclass(frozen=True)
class Result:
    pair: str
    method: str
    iterations: int
    own_total_cost: float  # at the last logged iteration (180 of 200, as the paper logs)
    own_cost_iteration: int
    paper_total_cost: float  # the paper's eq. 4 of the saved image: one yardstick for both
    seconds: float
    evaluations: float | None  # L-BFGS cost+gradient passes; Adam makes one per iteration


def paper_cost(config_table: Mapping[str, Any], settings: Mapping[str, Any], image) -> float:
    """The paper's total cost (eq. 4) of a uint8 image for the pair in `settings`."""
    run = build(make_config(config_table, {**settings, "tensorboard": False}))
    normalized = io.normalize(image, run.config.means)
    return first_image_terms(run.objective(tf.constant(normalized), run.targets)[1])["total"]


def figure6(
    images_dir: str,
    output_dir: str,
    pairs: Sequence[tuple[str, str]] = PAIRS,
    overrides: Mapping[str, Any] | None = None,
) -> list[Result]:
    """Runs both methods on every pair and writes the sheet and the tables."""
    for name in dict.fromkeys(name for pair in pairs for name in pair):  # in order
        if not os.path.isfile(os.path.join(images_dir, name)):
            raise UserError(f"{os.path.join(images_dir, name)} not found: pass --images_dir")
    paper_table = load_config_table("paper")
    results, rows = [], []
    for content, style in pairs:
        pair = f"{os.path.splitext(content)[0]}+{os.path.splitext(style)[0]}"
        settings = {
            "content": os.path.join(images_dir, content),
            "style": os.path.join(images_dir, style),
            **(overrides or {}),
        }
        # Found as nst-tf finds it, so the scoring build reads the same file as the runs.
        settings["vgg_path"] = locate.resolve_vgg_path(settings.get("vgg_path"))
        row = [
            io.load_image(settings["content"], 400, 300),
            io.load_image(settings["style"], 400, 300),
        ]
        for method, _ in METHODS:
            out = os.path.join(output_dir, pair, method)
            config = make_config(load_config_table(method), {**settings, "output_dir": out})
            run = stylize(config)
            last = run.trace[-1]
            results.append(
                Result(
                    pair,
                    method,
                    config.num_iterations,
                    last["total_cost"],
                    int(last["iteration"]),
                    paper_cost(paper_table, settings, run.image),
                    run.seconds,
                    last.get("evaluations"),
                )
            )
            row.append(io.resize(run.image, 400, 300))
        rows.extend(row)
    io.save_image(os.path.join(output_dir, "figure6.jpg"), figures.contact_sheet(rows, columns=4))
    write_text(
        os.path.join(output_dir, "figure6.json"),
        json.dumps([dataclasses.asdict(r) for r in results], indent=2) + "\n",
    )
    write_text(os.path.join(output_dir, "figure6.md"), markdown(results))
    return results


def markdown(results: Sequence[Result]) -> str:
    names = dict(METHODS)
    lines = [
        "| pair | method | iterations | own cost (at iteration) | paper's eq. 4 of the result "
        "| wall s |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        iterations = f"{r.iterations}" + (
            f" ({r.evaluations:.0f} evaluations)" if r.evaluations is not None else ""
        )
        lines.append(
            f"| {r.pair} | {names[r.method]} | {iterations} | "
            f"{r.own_total_cost:.4g} ({r.own_cost_iteration}) | "
            f"{r.paper_total_cost:.4g} | {r.seconds:.0f} |"
        )
    return "\n".join(lines) + "\n"

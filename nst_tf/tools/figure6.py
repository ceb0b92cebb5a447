"""The paper's Figure 6: Gatys et al. 2016, Li & Wand 2016, Luan et al. 2017 and the paper.

Each pair of images runs through `stylize` once per method, one run after the other in one
process, each method as its config defines it: configs/gatys2016.py (L-BFGS from white noise),
configs/li_wand2016.py (MRF patches, coarse to fine), configs/luan2017.py (the photorealism
term from the content image; its segmentations made by nst_tf.tools.segment when the pair has
a sky to split by) and configs/paper.py (Adam(2.0) from the noisy content image).

The methods minimise different energies, so their own final costs say nothing across methods.
Every result (its 8-bit pixels, kept losslessly beside generated_image.jpg) is therefore
scored by every method's energy (float32, at that method's working size): each method should
win on its own, and the paper's eq. 4 is one column of it.

A run whose folder already holds its completed result with the same settings is not run again
(its image, trace and wall time are read back), so a figure stopped part way continues where
it stopped.

Writes figure6.jpg (a row per pair: content | style | the four methods),
figure6_segmentations.jpg (the pairs Luan et al. ran with segmentations), figure6.md /
figure6.json (energies, wall times, load) and every run's own outputs in
`<output_dir>/<content>+<style>/<method>/`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from nst_tf.build import build
from nst_tf.config import Config, load_config_table, make_config, paper_settings
from nst_tf.errors import UserError
from nst_tf.files import write_text
from nst_tf.images import io
from nst_tf.optim.loop import first_image_terms
from nst_tf.outputs.run_folder import TRACE_FILE, RunFolder
from nst_tf.outputs.writers import read_trace
from nst_tf.stylize import at_scale, run_schedule, stylize, total_iterations
from nst_tf.tools import figures, segment
from nst_tf.weights import locate

# The paper's pair first, then two more pairs from the same folder.
PAIRS = (
    ("louvre_small.jpg", "monet.jpg"),
    ("cat.jpg", "sandstone.jpg"),
    ("camp-nou.jpg", "stone_style.jpg"),
)
METHODS = (
    ("gatys2016", "Gatys et al. 2016"),
    ("li_wand2016", "Li & Wand 2016"),
    ("luan2017", "Luan et al. 2017"),
    ("paper", "this paper"),
)
SEGMENTED = "luan2017"  # the method that takes the pair's segmentations
PANEL = (400, 300)
# Beside each run's outputs: its result without the JPEG of generated_image.jpg (quality 95
# raised the paper's eq. 4 of its own result from 1.05e8 to 1.86e8: the style term sees the
# compression's blocks), and the 1-minute load as it ended.
RESULT_FILE = "figure6_result.png"
LOAD_FILE = "load_average.txt"


@dataclasses.dataclass(frozen=True)
class Result:
    pair: str
    method: str
    iterations: int  # in all (summed over Li & Wand's scales)
    own_total_cost: float  # as its run logged it, at its last logged iteration
    own_cost_iteration: int
    seconds: float
    evaluations: float | None  # L-BFGS cost+gradient passes; Adam makes one per iteration
    load_average: float  # the host's 1-minute load as the run ended: how alone it ran
    energies: dict[str, float]  # every method's energy of the result, by method


def method_settings(
    method: str, settings: Mapping[str, Any], segmentations: tuple[str, str] | None
) -> dict[str, Any]:
    """The pair's settings as `method` runs them: Luan et al. add the segmentations."""
    if method != SEGMENTED or segmentations is None:
        return dict(settings)
    content_segmentation, style_segmentation = segmentations
    return {
        **settings,
        "content_segmentation": content_segmentation,
        "style_segmentation": style_segmentation,
    }


@dataclasses.dataclass(frozen=True)
class MethodRun:
    image: np.ndarray  # the run's 8-bit result, lossless, as every energy scores it
    trace: list[dict[str, float]]
    seconds: float
    load_average: float


def run_or_reuse(config: Config) -> MethodRun:
    """Runs `config`, unless its folder already holds the completed run with these settings."""
    folder = RunFolder(config.output_dir, config.to_dict(), paper_settings())
    plan = folder.plan(total_iterations(config), "auto")
    completed = plan.action == "skip" and plan.saved.get("status") == "completed"
    if not (completed and os.path.isfile(folder.file(RESULT_FILE))):
        io.save_image(folder.file(RESULT_FILE), stylize(config).image)
        write_text(folder.file(LOAD_FILE), f"{os.getloadavg()[0]:.2f}\n")
    # Read back as a reused run's are, so both give the same numbers.
    trace, seconds = read_trace(folder.file(TRACE_FILE)), folder.read_record()["wall_seconds"]
    with open(folder.file(LOAD_FILE)) as file:
        load = float(file.read())
    return MethodRun(io.read_image(folder.file(RESULT_FILE), "result"), trace, seconds, load)


class Energies:
    """Each method's objective at its final size, built once per pair, scoring uint8 images."""

    def __init__(self, settings_of: Mapping[str, Mapping[str, Any]]):
        self._runs = {}
        for method, settings in settings_of.items():
            # The energy does not depend on the optimizer; Adam's state is the smaller one.
            config = make_config(
                load_config_table(method),
                {**settings, "tensorboard": False, "precision": "float32", "optimizer": "adam"},
            )
            self._runs[method] = build(at_scale(config, run_schedule(config)[-1]))

    def __call__(self, image: np.ndarray) -> dict[str, float]:
        energies = {}
        for method, run in self._runs.items():
            height, width = run.inputs.content.shape[:2]
            normalized = io.normalize(io.resize(image, width, height), run.config.means)
            terms = run.objective(tf.constant(normalized), run.targets)[1]
            energies[method] = first_image_terms(terms)["total"]
        return energies


def figure6(
    images_dir: str,
    output_dir: str,
    pairs: Sequence[tuple[str, str]] = PAIRS,
    overrides: Mapping[str, Any] | None = None,
    method_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    methods: Sequence[str] = tuple(dict(METHODS)),
) -> list[Result]:
    """Runs `methods` on every pair and writes the sheets and the tables.

    `overrides` apply to every method (e.g. precision), `method_overrides` to one method by
    name (e.g. Li & Wand's scales).
    """
    unknown = sorted(set(methods) - set(dict(METHODS)))
    if unknown:
        raise UserError(f"unknown method {unknown[0]}: choose from {', '.join(dict(METHODS))}")
    for name in dict.fromkeys(name for pair in pairs for name in pair):  # in order
        if not os.path.isfile(os.path.join(images_dir, name)):
            raise UserError(f"{os.path.join(images_dir, name)} not found: pass --images_dir")
    results, rows, segmentation_rows = [], [], []
    for content, style in pairs:
        pair = f"{os.path.splitext(content)[0]}+{os.path.splitext(style)[0]}"
        settings = {
            "content": os.path.join(images_dir, content),
            "style": os.path.join(images_dir, style),
            **(overrides or {}),
        }
        # Found as nst-tf finds it, so the scoring builds read the same file as the runs.
        settings["vgg_path"] = locate.resolve_vgg_path(settings.get("vgg_path"))
        segmentations = segment.write_pair_segmentations(
            settings["content"], settings["style"], os.path.join(output_dir, pair, "segmentations")
        )
        if segmentations is not None:
            panels = (settings["content"], segmentations[0], settings["style"], segmentations[1])
            segmentation_rows.extend(io.load_image(path, *PANEL) for path in panels)
        settings_of = {
            method: {
                **method_settings(method, settings, segmentations),
                **(method_overrides or {}).get(method, {}),
            }
            for method in methods
        }
        row = [io.load_image(settings["content"], *PANEL), io.load_image(settings["style"], *PANEL)]
        runs = []
        for method in methods:
            out = os.path.join(output_dir, pair, method)
            config = make_config(
                load_config_table(method), {**settings_of[method], "output_dir": out}
            )
            runs.append((method, config, run_or_reuse(config)))
            row.append(io.resize(runs[-1][2].image, *PANEL))
        energies = Energies(settings_of)
        for method, config, run in runs:
            last = run.trace[-1]
            results.append(
                Result(
                    pair,
                    method,
                    sum(scale.iterations for scale in run_schedule(config)),
                    last["total_cost"],
                    int(last["iteration"]),
                    run.seconds,
                    last.get("evaluations"),
                    run.load_average,
                    energies(run.image),
                )
            )
        del energies
        rows.extend(row)
    io.save_image(
        os.path.join(output_dir, "figure6.jpg"),
        figures.contact_sheet(rows, columns=2 + len(methods)),
    )
    if segmentation_rows:
        io.save_image(
            os.path.join(output_dir, "figure6_segmentations.jpg"),
            figures.contact_sheet(segmentation_rows, columns=4),
        )
    write_text(
        os.path.join(output_dir, "figure6.json"),
        json.dumps([dataclasses.asdict(r) for r in results], indent=2) + "\n",
    )
    write_text(os.path.join(output_dir, "figure6.md"), markdown(results))
    return results


def markdown(results: Sequence[Result]) -> str:
    """A table per pair: a row per result, its wall time and every method's energy of it.

    The lowest energy in each column is bold: each method should win its own column.
    """
    names = dict(METHODS)
    methods = list(dict.fromkeys(r.method for r in results))
    lines = []
    for pair in dict.fromkeys(r.pair for r in results):
        rows = [r for r in results if r.pair == pair]
        best = {m: min(r.energies[m] for r in rows) for m in methods}
        lines += [
            f"**{pair}**",
            "",
            "| result of | iterations | wall s (load) | "
            + " | ".join(f"{names[m]} energy" for m in methods)
            + " |",
            "| --- | ---: | ---: | " + " | ".join("---:" for _ in methods) + " |",
        ]
        for r in rows:
            iterations = f"{r.iterations}" + (
                f" ({r.evaluations:.0f} passes by {r.own_cost_iteration})"
                if r.evaluations is not None
                else ""
            )
            cells = [
                f"**{r.energies[m]:.4g}**" if r.energies[m] == best[m] else f"{r.energies[m]:.4g}"
                for m in methods
            ]
            lines.append(
                f"| {names[r.method]} | {iterations} | {r.seconds:.0f} ({r.load_average:.1f}) | "
                + " | ".join(cells)
                + " |"
            )
        lines.append("")
    return "\n".join(lines)

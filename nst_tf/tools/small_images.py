"""Small images: which working sizes keep the photograph's layout with the paper's weights.

Issue 18: at --image_size=200 every route loses the Louvre's pyramid, while at 400x300 the
paper's run and L-BFGS keep it. On the paper's pair this measures, at every long side of SIZES
and for every route of ROUTES (the paper's Adam, the same without the content term, L-BFGS),
the costs of the start image and of the result (content, style and each style layer), the
content share alpha J_content / J of the result, and how much of the layout it keeps
(nst_tf.tools.layout); below the paper's size also each route with the setting measured to
restore the layout (LAYOUT_FIXES). Then two probes of the cause:

- the terms' balance at the start, per size: the norms of the image gradients of alpha J_content
  and beta J_style. Adam's step is per pixel and ignores the cost's scale, so the ratio of the
  gradients, not of the costs, is what weighs the content;
- crop against resize: the content's bottom-centre quarter at its own pixel scale (objects as
  large as at 400x300) as a 200x150 run, scored on that region against the same region of the
  400 and 200 px results: the image size of the 200 px run, the object size of the 400 px one.

Every run is assembled by `build`, as nst-tf does, and stepped here (no run folders); the
weights are read once.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from nst_tf.build import Inputs, Run, build
from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.runtime import devices
from nst_tf.tools.figures import contact_sheet, save_jpeg
from nst_tf.tools.layout import LAYOUT_SIZE, layout_ssim
from nst_tf.weights import locate, matconvnet

CONTENT, STYLE = "louvre_small.jpg", "monet.jpg"
SIZES = (200, 300, 400)
ROUTES: dict[str, dict[str, Any]] = {
    "Adam": {},  # the paper's run: Adam(2.0), 200 iterations
    "Adam, alpha=0": {"alpha": 0.0},  # the same without the content term
    "L-BFGS": {"optimizer": "lbfgs", "num_iterations": 80},  # configs/fast.py in float32
}
# Per long side and route, the setting measured to bring the layout score back to that route's
# at 400x300 (docs/controls.md#small-images): alpha 1e3 at 300 px and up to 1e3 at 200 px change
# nothing visible, 1e5 at 300 px and 3e5 at 200 px (Adam) overshoot.
LAYOUT_FIXES: dict[int, dict[str, dict[str, Any]]] = {
    200: {"Adam": {"alpha": 1e5}, "L-BFGS": {"alpha": 3e5}},
    300: {"Adam": {"alpha": 1e4}, "L-BFGS": {"alpha": 1e4}},
}
FIXED_ROUTES = ("Adam", "L-BFGS")
PANEL = (240, 180)  # width, height of each panel of the contact sheet


@dataclasses.dataclass
class Measured:
    """One run: a route at one long side."""

    long_side: int
    route: str
    settings: dict[str, Any]
    size: tuple[int, int]  # width, height
    weights: dict[str, float]  # each term's weight: alpha, beta
    start: dict[str, float]  # the start image's terms
    final: dict[str, float]  # the result's terms
    layout: float  # layout_ssim of the result against the content
    seconds: float  # wall time of the steps (the machine is shared: rough)
    image: np.ndarray  # uint8 result
    gradients: dict[str, float]  # norm of each weighted term's image gradient at the start

    def share(self, terms: Mapping[str, float], name: str = "content") -> float:
        """A weighted term's share of the total cost, e.g. alpha J_content / J."""
        return self.weights[name] * terms[name] / terms["total"]


@dataclasses.dataclass
class Report:
    cpu: str
    load: tuple[float, float]  # 1-minute load average at the start and at the end
    runs: list[Measured]
    crop: dict[str, float]  # run -> layout score of the bottom-centre quarter


def _floats(terms: Mapping[str, tf.Tensor]) -> dict[str, float]:
    return {name: float(tf.reduce_sum(value)) for name, value in terms.items()}


def term_gradients(run: Run) -> dict[str, float]:
    """The norm of each weighted term's image gradient at the run's start image."""
    image = tf.Variable(run.initial_image)
    with tf.GradientTape(persistent=True) as tape:
        _, terms = run.objective(image, run.targets)
        weighted = {t.name: t.weight * tf.reduce_sum(terms[t.name]) for t in run.objective.terms}
    return {name: float(tf.norm(tape.gradient(value, image))) for name, value in weighted.items()}


def optimise(run: Run) -> tuple[dict[str, float], dict[str, float], np.ndarray, float]:
    """Steps a built run to its end: (start terms, result terms, result pixels, seconds)."""
    started = time.perf_counter()
    start = _floats(run.optimizer.step(run.targets))  # a step returns its start image's terms
    for _ in range(run.config.num_iterations - 1):
        run.optimizer.step(run.targets)
    final = _floats(run.optimizer.evaluate(run.targets))
    seconds = time.perf_counter() - started
    return start, final, run.render(run.optimizer.image.numpy()), seconds


def bottom_centre(image: np.ndarray) -> np.ndarray:
    """The quarter of an image below its middle, centred: the Louvre's pyramid."""
    height, width = image.shape[:2]
    return image[height // 2 :, width // 4 : width - width // 4]


def missing_images(images_dir: str) -> list[str]:
    """The paper's images missing from images_dir (empty when both are there)."""
    return [name for name in (CONTENT, STYLE) if not os.path.isfile(os.path.join(images_dir, name))]


class _Runner:
    """Builds and runs configs of the paper's table over weights read once."""

    def __init__(self, images_dir: str, overrides: Mapping[str, Any] | None):
        self.table = load_config_table("paper")
        self.base = {
            "content": os.path.join(images_dir, CONTENT),
            "style": os.path.join(images_dir, STYLE),
            **(overrides or {}),
        }
        self.base["vgg_path"] = locate.resolve_vgg_path(self.base.get("vgg_path"))
        self.weights = matconvnet.read_matconvnet(self.base["vgg_path"])
        self.content = io.read_image(self.base["content"], "content")

    def build(self, settings: Mapping[str, Any], inputs: Inputs | None = None) -> Run:
        return build(make_config(self.table, {**self.base, **settings}), inputs, self.weights)

    def measure(self, long_side: int, route: str, settings: Mapping[str, Any]) -> Measured:
        run = self.build({"image_size": long_side, **settings})
        gradients = term_gradients(run) if route == "Adam" else {}
        start, final, image, seconds = optimise(run)
        return Measured(
            long_side=long_side,
            route=route,
            settings=dict(settings),
            size=(run.inputs.content.shape[1], run.inputs.content.shape[0]),
            weights={term.name: term.weight for term in run.objective.terms},
            start=start,
            final=final,
            layout=layout_ssim(image, self.content),
            seconds=seconds,
            image=image,
            gradients=gradients,
        )

    def crop_probe(self, runs: Sequence[Measured]) -> dict[str, float]:
        """The bottom-centre quarter run at its own pixel scale, and that region of the results.

        The quarter of the paper's 400x300 content is 200x150: the size of the 200 px run, with
        the objects as large in pixels as in the 400 px run. Its style is the whole painting
        resized to the same 200x150, as in the 200 px run.
        """
        region = bottom_centre(self.content)
        height, width = region.shape[:2]
        style = io.resize(io.read_image(self.base["style"], "style"), width, height)
        settings = {"width": width, "height": height, "image_size": None}
        image = optimise(self.build(settings, Inputs(region, (style,))))[2]
        scores = {f"{width}x{height} crop, paper's settings": layout_ssim(image, region)}
        for m in runs:
            if m.route == "Adam":
                name = f"{m.size[0]}x{m.size[1]} paper's run, the same region"
                scores[name] = layout_ssim(bottom_centre(m.image), region)
        return scores


def measure(
    images_dir: str,
    long_sides: Sequence[int] = SIZES,
    fixes: Mapping[int, Mapping[str, Mapping[str, Any]]] = LAYOUT_FIXES,
    overrides: Mapping[str, Any] | None = None,
    log: Callable[[str], None] = print,
) -> Report:
    """Every route at every long side, the fixes where given, and the crop probe.

    `overrides` change the paper's config for every run alike (tests: a tiny net, iterations).
    """
    missing = missing_images(images_dir)
    if missing:
        raise UserError(f"{', '.join(missing)} not found in {images_dir}")
    runner = _Runner(images_dir, overrides)
    load_before = os.getloadavg()[0]
    runs = []
    for long_side in long_sides:
        plan = dict(ROUTES)
        for route, fix in fixes.get(long_side, {}).items():
            plan[f"{route} + fix"] = {**ROUTES[route], **fix}
        for route, settings in plan.items():
            runs.append(runner.measure(long_side, route, settings))
            m = runs[-1]
            log(f"{m.size[0]}x{m.size[1]} {route}: content {m.final['content']:.6g}, style "
                f"{m.final['style']:.6g}, layout {m.layout:.3f}, {m.seconds:.0f} s")  # fmt: skip
    crop = runner.crop_probe(runs)
    return Report(devices.cpu_summary(), (load_before, os.getloadavg()[0]), runs, crop)


def contact(runs: Sequence[Measured], content: np.ndarray) -> np.ndarray:
    """Rows = long sides; columns = the content, each route, each route + fix (else blank)."""
    columns = [*ROUTES, *(f"{route} + fix" for route in FIXED_ROUTES)]
    blank = np.full((PANEL[1], PANEL[0], 3), 255, np.uint8)
    panels = []
    for long_side in dict.fromkeys(m.long_side for m in runs):
        row = {m.route: m for m in runs if m.long_side == long_side}
        size = next(iter(row.values())).size
        panels.append(io.resize(io.resize(content, *size), *PANEL))
        panels += [io.resize(row[c].image, *PANEL) if c in row else blank for c in columns]
    return contact_sheet(panels, 1 + len(columns))


def save_figure(report: Report, content: np.ndarray, path: str) -> None:
    """The contact sheet as a small JPEG, written atomically."""
    save_jpeg(path, contact(report.runs, content))


def _settings(settings: Mapping[str, Any]) -> str:
    items = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in settings.items()]
    return ", ".join(items) or "paper"


def markdown(report: Report) -> str:
    """The tables of docs/controls.md#small-images."""
    parts = [k for k in report.runs[0].final if k.startswith("style/")]
    lines = [
        f"CPU: {report.cpu}; TensorFlow {tf.__version__}; 1-minute load average "
        f"{report.load[0]:.1f} at the start, {report.load[1]:.1f} at the end (2 cores, shared: "
        "seconds are rough, costs are not). Layout: SSIM of the luminance at "
        f"{LAYOUT_SIZE[0]}x{LAYOUT_SIZE[1]} against the content.",
        "",
        "| size | route | settings | start content | start style | content | style | "
        + " | ".join(p.removeprefix("style/") for p in parts)
        + " | content share | layout | s |",
        "| --- | --- | --- |" + " ---: |" * (7 + len(parts)),
    ]
    for m in report.runs:
        lines.append(
            f"| {m.size[0]}x{m.size[1]} | {m.route} | {_settings(m.settings)} | "
            f"{m.start['content']:.4g} | {m.start['style']:.4g} | {m.final['content']:.4g} | "
            f"{m.final['style']:.4g} | "
            + " | ".join(f"{m.final[p]:.3g}" for p in parts)
            + f" | {m.share(m.final):.1e} | {m.layout:.3f} | {m.seconds:.0f} |"
        )
    lines += [
        "",
        "| size | alpha J_content / J at the start | image gradient of alpha J_content | of beta "
        "J_style | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for m in (m for m in report.runs if m.gradients):
        content, style = m.gradients["content"], m.gradients["style"]
        lines.append(
            f"| {m.size[0]}x{m.size[1]} | {m.share(m.start):.2e} | {content:.4g} | {style:.4g} | "
            f"{content / style:.2e} |"
        )
    lines += ["", "| bottom-centre quarter | layout |", "| --- | ---: |"]
    lines += [f"| {name} | {score:.3f} |" for name, score in report.crop.items()]
    return "\n".join(lines) + "\n"

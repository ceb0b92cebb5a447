"""The figures of docs/controls.md: each of the paper's controls run on the paper's images.

Section 4 of the paper says users can set the degree of stylization, interpolate between
styles, keep the content's colours and put styles in regions. Each figure here is a row of
runs of `nst-tf` with one control varied, everything else the paper's config, at a reduced
working size and iteration count so that all of them fit in minutes on a CPU. A run whose
settings equal another's (the paper's ratio, style scale 1, blend weight 0, the plain colour
run) is run once and shared.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.files import write_text
from nst_tf.images import io, sizes
from nst_tf.stylize import stylize
from nst_tf.tools.figures import contact_sheet, save_jpeg

CONTENT, STYLE, SECOND_STYLE = "louvre_small.jpg", "monet.jpg", "stone_style.jpg"
# Adam ignores the cost's scale, and at the paper's 40 / 10 style outweighs content ~10^5-fold
# at iteration 0: 0.4 to 40 gave the same picture in a first sweep. The content reappears
# between 4e-3 and 4e-6, so the row spans those decades, then the paper's ratio.
BETA_OVER_ALPHA = (4e-6, 4e-5, 4e-4, 4e-3, 4.0)
STYLE_SCALES = (0.5, 0.75, 1.0, 1.5, 2.0)
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # of the second style
PAPER_ALPHA = 10.0
SKY_TO_GROUND = (0.55, 0.65)  # the mask's soft edge, as fractions of the height


@dataclasses.dataclass(frozen=True)
class ControlsResult:
    figures: dict[str, float]  # figure file -> wall seconds of the runs it shows
    runs: dict[str, float]  # run name -> wall seconds of its whole stylize() call
    markdown: str


class _Runs:
    """Runs named settings once each, on the paper's config, and remembers their images."""

    def __init__(self, output_dir: str, base: Mapping[str, Any]):
        self._output_dir = output_dir
        self._base = dict(base)
        self.images: dict[str, np.ndarray] = {}
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, **settings: Any) -> np.ndarray:
        if name not in self.images:
            overrides = {**self._base, **settings}
            overrides["output_dir"] = os.path.join(self._output_dir, name)
            started = time.perf_counter()
            result = stylize(make_config(load_config_table("paper"), overrides))
            self.images[name] = result.image
            self.seconds[name] = time.perf_counter() - started
        return self.images[name]


def sky_and_ground_masks(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 RGB masks: white above the horizon (sky), and its complement, with a soft edge."""
    top, bottom = (round(fraction * height) for fraction in SKY_TO_GROUND)
    ramp = np.clip((bottom - np.arange(height)) / max(bottom - top, 1), 0.0, 1.0)
    sky = np.repeat(np.round(255 * ramp)[:, np.newaxis], width, axis=1).astype(np.uint8)
    return np.stack([sky] * 3, axis=-1), np.stack([255 - sky] * 3, axis=-1)


def controls_figures(
    images_dir: str,
    output_dir: str,
    figures_dir: str,
    image_size: int,
    num_iterations: int,
    overrides: Mapping[str, Any] | None = None,
) -> ControlsResult:
    """Runs every control on the paper's images and writes controls_*.jpg to figures_dir."""
    missing = missing_images(images_dir)
    if missing:
        raise UserError(
            f"{', '.join(missing)} not found in {images_dir}: pass --images_dir=DIR holding "
            f"{CONTENT}, {STYLE} and {SECOND_STYLE} (e.g. ../shared/paper/images)"
        )
    content, style, second = (os.path.join(images_dir, n) for n in (CONTENT, STYLE, SECOND_STYLE))
    base = {"content": content, "style": style, "image_size": image_size}
    base.update(num_iterations=num_iterations, save_every=num_iterations, tensorboard=False)
    base.update(overrides or {})
    run = _Runs(output_dir, base)
    content_pixels = io.read_image(content, "content")
    width, height = sizes.working_size(
        (content_pixels.shape[1], content_pixels.shape[0]), 0, 0, image_size
    )
    content_pixels = io.fit_image(content_pixels, width, height, content)
    style_pixels, second_pixels = (io.load_image(path, width, height) for path in (style, second))
    paper = {"alpha": PAPER_ALPHA, "beta": 4.0 * PAPER_ALPHA}
    reference = "ratio_4"  # the paper's settings at this size, shared by every figure
    panels: dict[str, np.ndarray] = {}
    shown: dict[str, list[str]] = {}

    ratios = [f"ratio_{r:g}" for r in BETA_OVER_ALPHA]
    scales = [reference if s == 1.0 else f"scale_{s:g}" for s in STYLE_SCALES]
    for name, ratio in zip(ratios, BETA_OVER_ALPHA, strict=True):
        run(name, alpha=PAPER_ALPHA, beta=ratio * PAPER_ALPHA)
    for name, scale in zip(scales, STYLE_SCALES, strict=True):
        run(name, **paper, **({} if name == reference else {"style_scale": scale}))
    panels["controls_degree.jpg"] = contact_sheet([run.images[n] for n in ratios + scales], 5)
    shown["controls_degree.jpg"] = ratios + scales

    blends = [reference if w == 0 else f"blend_{w:g}" for w in BLEND_WEIGHTS]
    for name, weight in zip(blends, BLEND_WEIGHTS, strict=True):
        pair = {"style": f"{style},{second}", "style_blend_weights": (1 - weight, weight)}
        run(name, **paper, **({} if name == reference else pair))
    panels["controls_blend.jpg"] = io.side_by_side(
        style_pixels, *(run.images[n] for n in blends), second_pixels
    )
    shown["controls_blend.jpg"] = blends

    colors = [reference, "luminance", "histogram"]
    for mode in colors[1:]:
        run(mode, **paper, preserve_colors=mode)
    panels["controls_colors.jpg"] = io.side_by_side(
        content_pixels, style_pixels, *(run.images[n] for n in colors)
    )
    shown["controls_colors.jpg"] = colors

    masks = sky_and_ground_masks(width, height)
    mask_paths = [os.path.join(output_dir, f"mask_{part}.png") for part in ("sky", "ground")]
    for path, mask in zip(mask_paths, masks, strict=True):
        io.save_image(path, mask)
    run("regions", **paper, style=f"{style},{second}", style_masks=",".join(mask_paths))
    panels["controls_regions.jpg"] = io.side_by_side(
        content_pixels, masks[0], style_pixels, second_pixels, run.images["regions"]
    )
    shown["controls_regions.jpg"] = ["regions"]

    os.makedirs(figures_dir, exist_ok=True)
    figures = {}
    for name, pixels in panels.items():
        save_jpeg(os.path.join(figures_dir, name), pixels)
        figures[name] = sum(run.seconds[r] for r in dict.fromkeys(shown[name]))
    markdown = _timings_markdown(figures, run.seconds, image_size, num_iterations)
    write_text(os.path.join(output_dir, "timings.md"), markdown)
    return ControlsResult(figures, dict(run.seconds), markdown)


def missing_images(images_dir: str) -> list[str]:
    """The figures' input images missing from images_dir (empty when all are there)."""
    names = (CONTENT, STYLE, SECOND_STYLE)
    return [name for name in names if not os.path.isfile(os.path.join(images_dir, name))]


def _timings_markdown(
    figures: Mapping[str, float], runs: Mapping[str, float], image_size: int, iterations: int
) -> str:
    lines = [
        f"Runs at --image_size={image_size}, --num_iterations={iterations}; wall seconds.",
        "",
        "| figure | runs shown (s) |",
        "| --- | ---: |",
        *(f"| {name} | {seconds:.0f} |" for name, seconds in figures.items()),
        "",
        "| run | s |",
        "| --- | ---: |",
        *(f"| {name} | {seconds:.1f} |" for name, seconds in runs.items()),
        f"| all {len(runs)} runs | {sum(runs.values()):.0f} |",
    ]
    return "\n".join(lines) + "\n"

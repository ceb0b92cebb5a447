"""The figures of docs/network.md: a trained two-style network's controls, and the degree table.

Every image comes from nst-tf-apply's own `Stylizer` (nst_tf.network.apply), so the figures
show what users get; nothing here reimplements a control. All panels share one size, the first
photo's aspect at `image_size`, so the figures are plain grids (`contact_sheet`):

- network_grid.jpg: a header row (blank, style 1, style 2), then per photo: photo, style 1,
  style 2;
- network_interpolation.jpg: style 1, the network at style weights 1,0 ... 0,1, style 2;
- network_degree.jpg: degrees 0 ... 1 through the identity slot (top) and the plain pixel
  blend d N(x; style) + (1 - d) x (bottom), on the first photo and style;
- network_colors.jpg: per style: photo, style, plain, luminance, histogram;
- network_regions.jpg: photo, the left half's mask, style 1, style 2, style 1 left and style 2
  right in one pass.

The degree table scores the two degree rows with the paper's own costs: a paper run
(configs/paper.py) built by nst_tf.build on the photo and the style at the panels' size, whose
objective evaluates each image's content cost (eq. 1, against the photo) and style cost (eqs.
2-3, against the style image). Lower style cost at equal or lower content cost is the better
way to go part of the way.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from nst_tf.build import Run, build
from nst_tf.config import load_config_table, make_config
from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.network import export
from nst_tf.network.apply import Controls, Stylizer
from nst_tf.tools.figures import contact_sheet, save_jpeg
from nst_tf.weights import locate

DEGREES = (0.0, 0.25, 0.5, 0.75, 1.0)
FIRST_STYLE_SHARES = (1.0, 0.75, 0.5, 0.25, 0.0)  # the interpolation strip, left to right
COLOR_MODES = ("none", "luminance", "histogram")
FIGURES = (
    "network_grid.jpg",
    "network_interpolation.jpg",
    "network_degree.jpg",
    "network_colors.jpg",
    "network_regions.jpg",
)


@dataclasses.dataclass(frozen=True)
class DegreeRow:
    """The paper's costs of one degree's two images, as (content, style)."""

    degree: float
    identity_slot: tuple[float, float]
    pixel_blend: tuple[float, float]


@dataclasses.dataclass(frozen=True)
class FiguresResult:
    figures: list[str]  # paths written
    degrees: list[DegreeRow]
    markdown: str  # the degree table


def network_figures(
    model_dir: str,
    contents: Sequence[str],
    styles: Sequence[str] | None,
    figures_dir: str,
    image_size: int,
    precision: str,
    vgg_path: str | None = None,
) -> FiguresResult:
    """Writes FIGURES to figures_dir from the network in model_dir; returns the degree table.

    `styles` are the network's two style images in its order (shown beside the results and
    scored against), None for the ones its training run read; `contents` the photos, the
    first of which every strip uses.
    """
    network, metadata = export.load(model_dir)
    if styles is None:
        styles = metadata["config"]["styles"].split(",")
    if len(styles) != 2 or len(metadata["styles"]) != 2:
        raise UserError(
            f"the figures show a two-style network with its two style images; {model_dir} has "
            f"{len(metadata['styles'])} styles and {len(styles)} style images were given"
        )
    run = _paper_run(contents[0], styles[0], image_size, vgg_path)
    height, width = run.inputs.content.shape[:2]
    photos = [run.inputs.content] + [io.load_image(p, width, height) for p in contents[1:]]
    style_panels = [io.load_image(path, width, height) for path in styles]

    stylizer = Stylizer(network, Controls((1.0, 0.0)), precision)

    def stylize(weights, photo, degree=1.0, colors="none", masks=()):
        controls = Controls(tuple(weights), degree, colors)
        return stylizer.with_controls(controls)(photo[np.newaxis], masks)[0]

    one_hot = [(1.0, 0.0), (0.0, 1.0)]
    photo = photos[0]
    panels = {}
    blank = np.full_like(photo, 255)
    grid = [blank, *style_panels]
    for each in photos:
        grid += [each, *(stylize(weights, each) for weights in one_hot)]
    panels["network_grid.jpg"] = contact_sheet(grid, 3)

    mixes = [stylize((share, 1.0 - share), photo) for share in FIRST_STYLE_SHARES]
    strip = [style_panels[0], *mixes, style_panels[1]]
    panels["network_interpolation.jpg"] = contact_sheet(strip, len(strip))

    full = stylize(one_hot[0], photo).astype(np.float32)
    slot = [stylize(one_hot[0], photo, degree) for degree in DEGREES]
    blend = [_pixel_blend(full, photo, degree) for degree in DEGREES]
    panels["network_degree.jpg"] = contact_sheet(slot + blend, len(DEGREES))

    colors = []
    for weights, style_panel in zip(one_hot, style_panels, strict=True):
        colors += [photo, style_panel, *(stylize(weights, photo, 1.0, m) for m in COLOR_MODES)]
    panels["network_colors.jpg"] = contact_sheet(colors, 2 + len(COLOR_MODES))

    left = np.zeros((height, width), np.float32)
    left[:, : width // 2] = 1.0
    regions = stylize((1.0, 1.0), photo, masks=[left, 1.0 - left])
    mask_panel = np.repeat(np.round(255 * left)[..., np.newaxis], 3, axis=-1).astype(np.uint8)
    panels["network_regions.jpg"] = contact_sheet([photo, mask_panel, *style_panels, regions], 5)

    written = [os.path.join(figures_dir, name) for name in FIGURES]
    for path, name in zip(written, FIGURES, strict=True):
        save_jpeg(path, panels[name])
    rows = [
        DegreeRow(degree, _costs(run, ours), _costs(run, plain))
        for degree, ours, plain in zip(DEGREES, slot, blend, strict=True)
    ]
    names = (os.path.basename(contents[0]), os.path.basename(styles[0]))
    return FiguresResult(written, rows, degree_markdown(rows, names, (width, height)))


def _paper_run(content: str, style: str, image_size: int, vgg_path: str | None) -> Run:
    """The paper's objective on the photo and the style at the panels' size, in float32."""
    settings = dict(content=content, style=style, image_size=image_size, precision="float32")
    settings.update(output_dir="unused", tensorboard=False)
    settings["vgg_path"] = locate.resolve_vgg_path(vgg_path)  # as nst-tf finds it when unset
    return build(make_config(load_config_table("paper"), settings))


def _pixel_blend(full: np.ndarray, photo: np.ndarray, degree: float) -> np.ndarray:
    """d N(x; style) + (1 - d) x, rounded to uint8: the alternative to the identity slot."""
    mixed = degree * full + (1.0 - degree) * photo.astype(np.float32)
    return np.clip(np.round(mixed), 0, 255).astype(np.uint8)


def _costs(run: Run, pixels: np.ndarray) -> tuple[float, float]:
    """(content cost, style cost) of a uint8 image under the run's objective (unweighted)."""
    run.optimizer.reset(io.normalize(pixels, run.config.means))
    terms = run.optimizer.evaluate(run.targets)
    return float(terms["content"][0]), float(terms["style"][0])


def degree_markdown(
    rows: Sequence[DegreeRow], names: tuple[str, str], size: tuple[int, int]
) -> str:
    """The degree table: both ways' costs, and the slot's style cost over the blend's."""
    lines = [
        f"{names[0]} through the {names[1]} slot at {size[0]}x{size[1]}; the paper's costs "
        f"against the photo (content) and {names[1]} (style).",
        "",
        "| degree | identity slot: content | style | pixel blend: content | style "
        "| style, slot / blend |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        slot_content, slot_style = row.identity_slot
        blend_content, blend_style = row.pixel_blend
        lines.append(
            f"| {row.degree:g} | {slot_content:.4g} | {slot_style:.4g} | {blend_content:.4g} "
            f"| {blend_style:.4g} | {slot_style / blend_style:.3f} |"
        )
    return "\n".join(lines) + "\n"

"""`nst-tf-apply`: a trained network applied to photos, with the paper's controls.

nst-tf-apply --model=output/network --content=photos/ --output_dir=out --style_weights=1,0
nst-tf-apply --model=output/network --content='photos/*.jpg' --output_dir=out \
    --style_weights=1,1 --degree=0.5 --preserve_colors=luminance
nst-tf-apply --model=output/network --content=photo.jpg --output_dir=out \
    --style_masks=sky.png,ground.png

Writes <output_dir>/<content stem>.png per photo, at the photo's size (or --image_size). The
flags are defined when the command starts (nst_tf.console): several share names with nst-tf's.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict

from absl import app, flags, logging

from nst_tf import __version__
from nst_tf.console import run_console_script
from nst_tf.errors import UserError

NAME = "nst-tf-apply"
_FLAGS: dict[str, flags.FlagHolder] = {}


def _define_flags() -> None:
    from nst_tf.images.color import COLOR_MATCHES, PRESERVE_COLORS

    define = {
        "model": (flags.DEFINE_string, None, "A trained network: nst-tf-train's --output_dir."),
        "content": (flags.DEFINE_string, None, "Photos: a file, a folder, a glob or a comma list."),
        "output_dir": (flags.DEFINE_string, None, "Where <content stem>.png files go."),
        "style_weights": (
            flags.DEFINE_list,
            None,
            "One weight per style of the model (normalised to sum 1; 1,0 is the first style). "
            "Unset: the only style of a one-style model.",
        ),
        "degree": (flags.DEFINE_float, 1.0, "0 returns the photo, 1 the full style."),
        "style_masks": (
            flags.DEFINE_list,
            None,
            "One grayscale mask per style, white where it goes (any size of the photo's aspect); "
            "uncovered pixels stay the photo.",
        ),
        "image_size": (flags.DEFINE_integer, None, "Output long side (unset: the photo's)."),
        "batch_size": (flags.DEFINE_integer, 4, "Photos of one size stylized per call."),
    }
    for name, (kind, default, text) in define.items():
        _FLAGS[name] = kind(name, default, text)
    _FLAGS["preserve_colors"] = flags.DEFINE_enum(
        "preserve_colors",
        "none",
        PRESERVE_COLORS,
        "Keep the photo's colours: luminance (output's YIQ luminance, photo's chroma) or "
        "histogram (output's RGB mean and covariance matched to the photo's).",
    )
    _FLAGS["color_match"] = flags.DEFINE_enum(
        "color_match", "pca", COLOR_MATCHES, "Matrix square root of --preserve_colors=histogram."
    )
    _FLAGS["precision"] = flags.DEFINE_enum(
        "precision",
        "auto",
        ["float32", "bfloat16", "auto"],
        "Conv precision: auto = bfloat16 where the hardware runs it fast (AVX512_BF16/AMX CPUs, "
        "GPUs, TPUs), else float32.",
    )
    _FLAGS["version"] = flags.DEFINE_boolean("version", False, "Print the version and exit.")


def _floats(values: list[str] | None, flag: str) -> tuple[float, ...] | None:
    if values is None:
        return None
    try:
        return tuple(float(value) for value in values)
    except ValueError:
        raise UserError(f"--{flag} must be numbers, got {','.join(values)}") from None


def run() -> list[str]:
    """Applies the model to every photo; returns the files written."""
    from nst_tf.batch.jobs import expand, stem
    from nst_tf.images import io, sizes
    from nst_tf.images.masks import load_mask
    from nst_tf.network import export
    from nst_tf.network.apply import Controls, Stylizer, check_controls, check_size
    from nst_tf.runtime import devices

    value = {name: holder.value for name, holder in _FLAGS.items()}
    for flag in ("model", "content", "output_dir"):
        if not value[flag]:
            raise UserError(f"--{flag} is required")
    if value["batch_size"] < 1 or (value["image_size"] is not None and value["image_size"] < 1):
        raise UserError("--batch_size and --image_size must be positive integers")
    network, metadata = export.load(value["model"])
    styles = metadata["styles"]
    weights = _floats(value["style_weights"], "style_weights")
    if weights is None:
        if len(styles) > 1:
            raise UserError(
                f"{value['model']} has {len(styles)} styles ({', '.join(styles)}): pass "
                f"--style_weights, e.g. {','.join(['1'] + ['0'] * (len(styles) - 1))}"
            )
        weights = (1.0,)
    controls = Controls(weights, value["degree"], value["preserve_colors"], value["color_match"])
    check_controls(controls, styles, value["model"])
    masks = value["style_masks"] or []
    if masks and len(masks) != len(styles):
        raise UserError(
            f"--style_masks has {len(masks)} masks for {len(styles)} styles: give one per style"
        )
    precision, why = devices.resolve_precision(value["precision"])
    logging.info("Precision: %s (%s)", precision, why)
    stylizer = Stylizer(network, controls, precision)
    photos = expand(value["content"], "content")
    groups: dict[tuple[int, int], list[str]] = defaultdict(list)
    for path in photos:
        size = io.read_size(path, "content")
        if value["image_size"] is not None:
            size = sizes.fit_long_side(*size, value["image_size"])
        groups[size].append(path)
    os.makedirs(value["output_dir"], exist_ok=True)
    written = []
    for (width, height), paths in groups.items():
        region = [load_mask(mask, width, height) for mask in masks]
        for start in range(0, len(paths), value["batch_size"]):
            chunk = paths[start : start + value["batch_size"]]
            pixels = [io.fit_image(io.read_image(p, "content"), width, height, p) for p in chunk]
            for path, image in zip(chunk, pixels, strict=True):
                check_size(image, path)
            for path, result in zip(chunk, stylizer(pixels, region), strict=True):
                out = os.path.join(value["output_dir"], f"{stem(path)}.png")
                io.save_image(out, result)
                written.append(out)
                logging.info("Wrote %s", out)
    return written


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if _FLAGS["version"].value:
        print(f"{NAME} {__version__}")
        return
    from nst_tf.runtime import environment

    environment.configure(logging.get_verbosity())
    try:
        written = run()
    except UserError as err:
        print(f"{NAME}: error: {err}", file=sys.stderr)
        sys.exit(1)
    print(f"{NAME}: wrote {len(written)} image{'s' * (len(written) != 1)}")


def entry_point() -> None:
    _define_flags()
    run_console_script(main, __name__)


if __name__ == "__main__":
    entry_point()

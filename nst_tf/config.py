"""The run's settings: one table, one definition per setting.

Config files are Python files (big_vision style) whose `get_config()` returns a plain dict; the
paper's table is `configs/paper.py`, installed as `nst_tf.configs.paper`, and a variant config
imports it and overrides a few keys. Each setting is declared once, as a `Config` field whose
metadata carries its flag kind and help: `nst_tf.cli` generates every flag from these fields,
so adding a setting is this field plus its value in configs/paper.py.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from nst_tf.errors import UserError
from nst_tf.images.color import COLOR_MATCHES, PRESERVE_COLORS
from nst_tf.images.noise import INITS
from nst_tf.model import vgg
from nst_tf.objective.terms import CONTENT_NORMALIZATIONS, TERMS
from nst_tf.optim.registry import OPTIMIZERS

WeightedLayers = tuple[tuple[str, float], ...]


def setting(kind: str, help: str, choices: Sequence[str] | None = None) -> Any:
    return dataclasses.field(metadata={"kind": kind, "help": help, "choices": choices})


@dataclasses.dataclass(frozen=True)
class Config:
    """Every setting of one run. Flag kinds: string, integer, float, boolean, enum, list."""

    content: str | None = setting("string", "Content image C (JPEG/PNG).")
    style: str | None = setting(
        "string",
        "Style image S (JPEG/PNG); several, comma-separated, are blended (--style_blend_weights) "
        "or put in regions (--style_masks).",
    )
    output_dir: str = setting(
        "string", "Where <i>.png, trace.csv, generated_image.jpg, config.json, checkpoints go."
    )
    vgg_path: str | None = setting(
        "string",
        "MatConvNet imagenet-vgg-verydeep-19.mat. Unset: $NST_TF_HOME, else ./pretrained if "
        "it exists, else ~/.cache/nst_tf (where `nst-tf-fetch` writes).",
    )
    width: int = setting("integer", "Images are resized to this width (paper: 400).")
    height: int = setting("integer", "Images are resized to this height (paper: 300).")
    means: tuple[float, float, float] = setting(
        "list", "RGB means subtracted before VGG (paper: 123.68,116.779,103.939)."
    )
    pooling: str = setting("enum", "VGG pooling (paper: avg).", vgg.POOLINGS)
    content_layer: WeightedLayers = setting(
        "string",
        "Layer(s) of the content cost: conv4_2 (the paper's), or weighted layers, e.g. "
        "conv4_2:1,conv5_2:0.5.",
    )
    style_layers: WeightedLayers = setting(
        "string",
        "Style layers and weights lambda, e.g. conv1_1:0.2,conv2_1:0.2,conv3_1:0.2,conv4_1:0.2,"
        "conv5_1:0.2 (the paper's).",
    )
    alpha: float = setting("float", "Content weight alpha of eq. 4 (paper: 10).")
    beta: float = setting("float", "Style weight beta of eq. 4 (paper: 40).")
    learning_rate: float = setting("float", "Adam learning rate (paper: 2.0).")
    num_iterations: int = setting("integer", "Adam updates (paper: 200).")
    init: str = setting(
        "string",
        "Start image: noise (the paper's: noise_ratio x uniform noise + the rest content), "
        "content (the content image), random (uniform(-noise_range, noise_range) white noise, "
        "Gatys et al. 2016) or a path to any image (resized to the working size).",
    )
    noise_ratio: float = setting(
        "float",
        "Share of uniform(-noise_range, noise_range) noise in --init=noise's start (paper: 0.6).",
    )
    noise_range: float = setting("float", "Amplitude of the start's uniform noise (paper: 20).")
    seed: int = setting("integer", "Seed of the initial noise; same seed, same trace.")
    log_every: int = setting("integer", "Log costs every N iterations (paper: 20).")
    save_every: int = setting("integer", "Save <i>.png every N iterations (paper: 20).")
    checkpoint_every: int = setting(
        "integer", "Checkpoint the image and optimizer state every N iterations (default 20)."
    )
    keep_checkpoints: int = setting("integer", "How many recent checkpoints to keep (3).")
    tensorboard: bool = setting(
        "boolean", "Write TensorBoard events to output_dir/tensorboard (on by default)."
    )
    precision: str = setting(
        "enum",
        "Conv precision: float32 (paper), bfloat16 (convs only; Grams and losses stay float32) "
        "or auto (bfloat16 where the hardware runs it fast, else float32; logged, in config.json).",
        (*vgg.PRECISIONS, "auto"),
    )
    jit: bool | None = setting(
        "boolean",
        "Compile the step with XLA. Unset: on for TPUs only (slower on the CPUs measured).",
    )
    # Issue 9, the paper's controls: sizes, style blends, colours, regions (docs/controls.md).
    image_size: int | None = setting(
        "integer",
        "Long side of the generated image, the content's aspect kept (replaces --width/--height; "
        "unset: the paper's width x height).",
    )
    style_scale: float | None = setting(
        "float",
        "Resize each style image, aspect kept, to this times the generated image's long side "
        "(the texture scale); unset: styles forced to the generated size (the paper's).",
    )
    style_blend_weights: tuple[float, ...] | None = setting(
        "list",
        "Weights of the comma-separated --style images in the blended Gram target, e.g. 0.3,0.7 "
        "(normalised to sum 1; unset: equal).",
    )
    style_masks: str | None = setting(
        "string",
        "Comma-separated grayscale masks, one per --style image: white = where that style goes; "
        "pixels no mask covers get content only.",
    )
    preserve_colors: str = setting(
        "enum",
        "Keep the content's colours: none (paper), luminance (optimise YIQ luminance, then add "
        "the content's I,Q), histogram (match the style's RGB mean and covariance first).",
        PRESERVE_COLORS,
    )
    color_match: str = setting(
        "enum",
        "Matrix square root of --preserve_colors=histogram: pca (default, Gatys et al. 2017), "
        "chol or sym.",
        COLOR_MATCHES,
    )
    # Issue 10b: coarse to fine (nst_tf/stylize.py runs each scale).
    scales: tuple[int, ...] | None = setting(
        "list",
        "Coarse to fine: long sides, increasing, e.g. 200,400, the content's aspect kept; the "
        "last is the output size. Unset: one scale at width x height (the paper's).",
    )
    scale_iterations: tuple[int, ...] | None = setting(
        "list",
        "Iterations at each of --scales, e.g. 150,50 (unset: --num_iterations at each scale).",
    )
    # issue 10a: optimizer choice (L-BFGS) and Gatys et al. 2016's content normalisation.
    optimizer: str = setting(
        "enum",
        "adam (paper: Adam(learning_rate)) or lbfgs (L-BFGS within the pixel bounds, one "
        "iteration per step, as Gatys et al.; learning_rate unused).",
        OPTIMIZERS,
    )
    lbfgs_history: int = setting(
        "integer",
        "L-BFGS correction pairs kept (10, scipy's default; Li & Wand's code keeps 25, Luan et "
        "al.'s 100); each costs two image-sized arrays.",
    )
    lbfgs_line_search: str = setting(
        "enum",
        "L-BFGS step length: strong_wolfe (a line search; the default) or none (Torch's "
        "optim.lbfgs as Li & Wand's and Luan et al.'s code ran it: step 1, the first "
        "min(1, 1/|g|_1), every step taken).",
        ("strong_wolfe", "none"),
    )
    content_normalization: str = setting(
        "enum",
        "Eq. 1's normalisation: paper (sum / (4 n_H n_W n_C)) or gatys2016 (sum / 2, Gatys et "
        "al. CVPR 2016 eq. 1, which their alpha/beta ratio assumes) or mean (sum / (n_H n_W "
        "n_C), Torch's MSE, Li & Wand 2016's).",
        CONTENT_NORMALIZATIONS,
    )
    # Issue 15: the objective as named terms (nst_tf/objective/terms/).
    terms: tuple[str, ...] = setting(
        "list",
        f"Cost terms of the objective, by name ({', '.join(TERMS)}; paper: content,style). A term "
        "with a weight flag of its own (--tv_weight, --photorealism_weight, --mrf_weight) joins "
        "when that weight is positive.",
    )
    tv_weight: float = setting(
        "float",
        "Total variation weight (0 in the paper): 1/2 sum of squared differences of neighbouring "
        "pixels, jcjohnson/neural-style's -tv_weight.",
    )
    # Issue 16: Li & Wand 2016's MRF term (nst_tf/objective/terms/mrf.py).
    mrf_weight: float = setting(
        "float",
        "MRF term weight (0 in the paper; Li & Wand: 1e-4): each 3x3 feature patch against its "
        "nearest style patch by normalised cross-correlation, recomputed every step.",
    )
    mrf_layers: WeightedLayers = setting(
        "string",
        "MRF layers and weights, e.g. conv3_1:1,conv4_1:1 (Li & Wand's relu3_1, relu4_1).",
    )
    mrf_stride: int = setting(
        "integer", "Stride of the generated image's MRF patches on the feature map (theirs: 2)."
    )
    mrf_style_stride: int = setting(
        "integer", "Stride at which MRF patches are sampled from the style (theirs: 2)."
    )
    mrf_rotations: int = setting(
        "integer",
        "MRF style copies rotated by i pi/24, i in [-n, n] (Li & Wand: 1; 0: the style alone).",
    )
    mrf_scales: int = setting(
        "integer",
        "MRF style copies scaled by 1.05^j, j in [-n, n] (Li & Wand: 1; 0: the style alone).",
    )
    # Issue 10b: large images.
    recompute: bool | None = setting(
        "boolean",
        "Recompute each VGG block's activations in the backward pass instead of keeping them: "
        "a little less memory (9-11% measured), 1.2-1.4x the time. Unset: only where the memory "
        "estimate says the plain step does not fit and this does.",
    )
    # Issue 16: Luan et al. 2017 (Deep Photo Style Transfer), configs/luan2017.py.
    photorealism_weight: float = setting(
        "float",
        "Luan et al.'s photorealism weight lambda (0 in the paper; theirs 1e4): lambda x sum "
        "over colours of V^T L V, L the matting Laplacian of the content, V the result in [0, 1].",
    )
    content_segmentation: str | None = setting(
        "string",
        "Colour-coded segmentation of the content (Luan et al.'s: blue, green, black, white, red, "
        "yellow, grey, lightblue, purple regions); needs --style_segmentation. Each class takes "
        "the style of the style's region of the same colour.",
    )
    style_segmentation: str | None = setting(
        "string", "Colour-coded segmentation of the style image, for --content_segmentation."
    )
    smooth_local_affine: bool = setting(
        "boolean",
        "Luan et al.'s post-process of the result (off in the paper): refit it as a bilaterally "
        "smoothed local affine map of the content's colours (about 10-20 s at 400x300).",
    )

    def validate(self) -> Config:
        """Raises UserError for the first setting a run could not use."""
        check_finite(self)
        for name in ("width", "height", "num_iterations", "log_every", "save_every"):
            require(getattr(self, name) > 0, name, "a positive integer", getattr(self, name))
        require(
            self.checkpoint_every > 0,
            "checkpoint_every",
            "a positive integer",
            self.checkpoint_every,
        )
        require(
            self.keep_checkpoints > 0,
            "keep_checkpoints",
            "a positive integer",
            self.keep_checkpoints,
        )
        require(self.learning_rate > 0, "learning_rate", "positive", self.learning_rate)
        require(self.lbfgs_history > 0, "lbfgs_history", "a positive integer", self.lbfgs_history)
        require(0.0 <= self.noise_ratio <= 1.0, "noise_ratio", "within [0, 1]", self.noise_ratio)
        require(self.noise_range >= 0, "noise_range", "zero or positive", self.noise_range)
        require(0 <= self.seed < 2**32, "seed", "within [0, 2**32)", self.seed)
        check_objective(self)
        check_layers(self, "mrf_layers")
        require(self.mrf_weight >= 0, "mrf_weight", "zero or positive", self.mrf_weight)
        for name in ("mrf_stride", "mrf_style_stride"):
            require(getattr(self, name) > 0, name, "a positive integer", getattr(self, name))
        for name in ("mrf_rotations", "mrf_scales"):
            require(getattr(self, name) >= 0, name, "zero or positive", getattr(self, name))
        if not self.init:
            raise UserError(f"--init is empty: give one of {', '.join(INITS)} or an image path")
        check_choices(self)
        # Issue 9: sizes, blends and masks.
        if self.image_size is not None:
            require(self.image_size > 0, "image_size", "a positive integer", self.image_size)
        if self.style_scale is not None:
            require(self.style_scale > 0, "style_scale", "positive", self.style_scale)
        _check_styles(self)
        # Issue 10b: the scale schedule.
        _check_scales(self.scales, self.scale_iterations)
        # Issue 16: Luan et al.'s photorealism term and segmentations.
        require(
            self.photorealism_weight >= 0,
            "photorealism_weight",
            "zero or positive",
            self.photorealism_weight,
        )
        _check_segmentations(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def require(ok: bool, name: str, what: str, value: Any) -> None:
    if not ok:
        raise UserError(f"--{name} must be {what}, got {value}")


def check_finite(settings: Any) -> None:
    """Every float setting of a settings dataclass is finite (or unset)."""
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if field.metadata["kind"] == "float" and value is not None and not math.isfinite(value):
            raise UserError(f"--{field.name} must be a finite number, got {value}")


def check_choices(settings: Any) -> None:
    """Every enum setting of a settings dataclass is one of its choices."""
    for field in dataclasses.fields(settings):
        choices = field.metadata["choices"]
        value = getattr(settings, field.name)
        if choices and value not in choices:
            raise UserError(f"--{field.name} must be one of {', '.join(choices)}, got {value}")


def check_layers(settings: Any, flag: str) -> None:
    """A weighted-layers setting: not empty, known VGG-19 layers, weights finite and >= 0."""
    layers = getattr(settings, flag)
    if not layers:
        raise UserError(f"--{flag} is empty: give at least one layer, e.g. conv4_2:1.0")
    for name, weight in layers:
        if not (math.isfinite(weight) and weight >= 0):
            raise UserError(f"--{flag} weight of {name} must be finite and >= 0, got {weight}")
    vgg.check_layer_names(name for name, _ in layers)


def check_objective(settings: Any) -> None:
    """The objective's settings, shared by nst-tf and nst-tf-train: layers and their weights,
    terms, tv_weight, means."""
    for flag in ("content_layer", "style_layers"):
        check_layers(settings, flag)
    unknown = [name for name in settings.terms if name not in TERMS]
    if unknown or not settings.terms:
        raise UserError(
            f"--terms must name one or more of {', '.join(TERMS)}, got {','.join(settings.terms)}"
        )
    require(settings.alpha >= 0, "alpha", "zero or positive", settings.alpha)
    require(settings.beta >= 0, "beta", "zero or positive", settings.beta)
    require(settings.tv_weight >= 0, "tv_weight", "zero or positive", settings.tv_weight)
    if len(settings.means) != 3 or not all(math.isfinite(m) for m in settings.means):
        raise UserError(f"--means must be 3 finite RGB values, got {settings.means}")


def settings() -> list[dataclasses.Field]:
    """The Config fields, in order: what the CLI turns into flags."""
    return list(dataclasses.fields(Config))


def parse_layers(text: str, flag: str = "style_layers") -> WeightedLayers:
    """'conv1_1:0.2,conv2_1:0.2' -> (('conv1_1', 0.2), ('conv2_1', 0.2)); a bare name weighs 1."""
    layers = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, weight = item.partition(":")
        try:
            layers.append((name.strip(), float(weight) if sep else 1.0))
        except ValueError:
            raise UserError(
                f"--{flag} item {item!r} is not NAME:WEIGHT (e.g. conv1_1:0.2)"
            ) from None
    return tuple(layers)


def shipped_configs() -> list[str]:
    """The built-in config names (configs/*.py, installed as nst_tf.configs)."""
    import nst_tf.configs

    folder = os.path.dirname(nst_tf.configs.__file__)
    return sorted(
        name[:-3] for name in os.listdir(folder) if name.endswith(".py") and name != "__init__.py"
    )


def paper_settings() -> dict[str, Any]:
    """configs/paper.py's values: what a run made before a setting existed used for it."""
    return make_config(load_config_table("paper")).to_dict()


def load_config_table(name_or_path: str, command: str = "nst-tf") -> dict[str, Any]:
    """Runs a config file's get_config(): a built-in name (`paper`) or a path to a .py file.

    A config file for another command says so in a module-level COMMAND (configs/network.py is
    nst-tf-train's); unset means nst-tf. Giving it to the wrong command is one line.
    """
    if name_or_path.endswith(".py") or os.sep in name_or_path:
        if not os.path.isfile(name_or_path):
            raise UserError(f"config file not found: {name_or_path}; pass a .py file or `paper`")
        spec = importlib.util.spec_from_file_location("nst_tf_user_config", name_or_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(f"nst_tf.configs.{name_or_path}")
        except ModuleNotFoundError:
            raise UserError(
                f"unknown config {name_or_path!r}: use one of {', '.join(shipped_configs())} "
                "or a path to a config .py file"
            ) from None
    if not hasattr(module, "get_config"):
        raise UserError(f"config {name_or_path} has no get_config() function")
    owner = getattr(module, "COMMAND", "nst-tf")
    if owner != command:
        raise UserError(f"config {name_or_path} is for {owner}, not {command}")
    return dict(module.get_config())


def make_config(table: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Config:
    """Merges overrides (None means 'not given') into a config table and validates it."""
    merged = dict(table)
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    merged.update(given)
    merged.update(_size_from_command_line(given))
    return from_table(Config, merged)


def from_table(kind: type, table: Mapping[str, Any]) -> Any:
    """A settings dataclass (Config, or another command's) from a complete table, validated.

    Every key must be a field and every field given; values are coerced to the field's kind.
    """
    fields = {field.name: field for field in dataclasses.fields(kind)}
    unknown = sorted(set(table) - set(fields))
    missing = sorted(set(fields) - set(table))
    if unknown or missing:
        raise UserError(f"config keys: unknown {unknown}, missing {missing}")
    values = {name: coerce(name, f.metadata["kind"], table[name]) for name, f in fields.items()}
    return kind(**values).validate()


def coerce(name: str, kind: str, value: Any) -> Any:
    """A config file's or flag's value as the field's type, or one line saying what is wrong."""
    if value is None:
        return None
    try:
        if name in INTEGER_LISTS:
            numbers = [
                float(item) for item in (value.split(",") if isinstance(value, str) else value)
            ]
            if not all(number.is_integer() for number in numbers):
                raise ValueError(value)
            return tuple(int(number) for number in numbers)
        if name in ("content_layer", "style_layers", "mrf_layers"):
            layers = parse_layers(value, name) if isinstance(value, str) else value
            return tuple((str(layer), float(weight)) for layer, weight in layers)
        if name == "terms":
            items = value.split(",") if isinstance(value, str) else value
            return tuple(str(item).strip() for item in items if str(item).strip())
        if kind == "list":
            items = value.split(",") if isinstance(value, str) else value
            return tuple(float(item) for item in items)
        if kind == "integer":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise ValueError(value)
            return value
        return str(value)
    except (TypeError, ValueError):
        raise UserError(f"--{name}: {value!r} is not a valid {kind} value") from None


# Issue 9: several styles in one --style string, and the size flags.


def split_paths(text: str | None) -> tuple[str, ...]:
    """'a.jpg, b.jpg' -> ('a.jpg', 'b.jpg'): --style and --style_masks hold comma-separated paths.

    A single path comes back unchanged, so the paper's one-style run reads exactly as before.
    """
    return tuple(filter(None, (part.strip() for part in (text or "").split(","))))


def _size_from_command_line(given: Mapping[str, Any]) -> dict[str, Any]:
    """The command line's size wins over the config file's; it may not name two sizes.

    A config file may set both: a non-None image_size then decides and width/height are unused,
    so a variant of configs/paper.py needs to override only image_size.
    """
    exact = [f"--{name}" for name in ("width", "height") if name in given]
    if exact and "image_size" in given:
        raise UserError(
            f"--image_size and {'/'.join(exact)} both set the size: give --image_size (long "
            "side, aspect kept) or --width/--height (exact), not both"
        )
    return {"image_size": None} if exact else {}


def _check_styles(config: Config) -> None:
    """One weight per style, one mask per style, and masks without blend weights."""
    styles = split_paths(config.style)
    weights = config.style_blend_weights
    if weights is not None:
        if styles and len(weights) != len(styles):
            raise UserError(
                f"--style_blend_weights has {len(weights)} weights for {len(styles)} --style "
                "images: give one weight per image"
            )
        if not all(math.isfinite(w) and w >= 0 for w in weights) or sum(weights) <= 0:
            raise UserError(
                f"--style_blend_weights must be >= 0 with a positive sum, got {list(weights)}"
            )
    masks = split_paths(config.style_masks)
    if masks:
        if styles and len(masks) != len(styles):
            raise UserError(
                f"--style_masks has {len(masks)} masks for {len(styles)} --style images: give "
                "one mask per style image"
            )
        if weights is not None:
            raise UserError(
                "--style_blend_weights blends styles everywhere and --style_masks puts each "
                "style in its own region: give one of them"
            )


def _check_segmentations(config: Config) -> None:
    """Both segmentations or neither, for one style image without --style_masks."""
    given = [
        f"--{name}"
        for name in ("content_segmentation", "style_segmentation")
        if getattr(config, name)
    ]
    if not given:
        return
    if len(given) == 1:
        raise UserError(
            f"{given[0]} needs the other image's segmentation too: give both "
            "--content_segmentation and --style_segmentation"
        )
    if len(split_paths(config.style)) > 1 or config.style_masks:
        raise UserError(
            "--content_segmentation/--style_segmentation match the regions of one --style image; "
            "give one style and no --style_masks"
        )


# Issue 10b: the scale schedule.
INTEGER_LISTS = ("scales", "scale_iterations")


def _check_scales(scales: tuple[int, ...] | None, iterations: tuple[int, ...] | None) -> None:
    if scales is None:
        if iterations is not None:
            raise UserError("--scale_iterations needs --scales (e.g. --scales=200,400)")
        return
    if not scales or min(scales) < 1 or list(scales) != sorted(set(scales)):
        raise UserError(
            f"--scales must be increasing positive long sides, e.g. 200,400, got {scales}"
        )
    if iterations is not None and (len(iterations) != len(scales) or min(iterations) < 1):
        raise UserError(
            f"--scale_iterations must give one positive count per scale ({len(scales)}), "
            f"got {iterations}"
        )

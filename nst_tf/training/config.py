"""nst-tf-train's settings: one table, one definition per setting, as nst-tf's Config.

Config files are `configs/network.py` (the paper's loss on a CPU-sized run) and its variants
(`configs/network_dumoulin.py`, the published recipe); each says `COMMAND = "nst-tf-train"`.
The loss settings (layers, alpha, beta, tv, normalisations, means, pooling) mean exactly what
they mean for nst-tf: the training loss is built from the same cost terms.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from nst_tf.config import (
    WeightedLayers,
    check_choices,
    check_finite,
    check_objective,
    from_table,
    require,
    setting,
    split_paths,
)
from nst_tf.errors import UserError
from nst_tf.model import vgg
from nst_tf.objective.terms import CONTENT_NORMALIZATIONS

COMMAND = "nst-tf-train"
PRECISIONS = (*vgg.PRECISIONS, "auto")
TRAINING_TERMS = ("content", "style", "tv")  # terms whose targets the training loss provides


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """Every setting of one training run (flag kinds as nst_tf.config.Config's)."""

    styles: str | None = setting(
        "string", "Style images, comma-separated: one network learns them all (N styles)."
    )
    train_images: str | None = setting(
        "string",
        "Training photos: a folder (searched recursively) or a glob (** allowed); JPEG, PNG, "
        "BMP or GIF. Unreadable files are skipped with a warning.",
    )
    output_dir: str = setting(
        "string", "Where checkpoints, trace.csv, TensorBoard events and saved_model/ go."
    )
    vgg_path: str | None = setting(
        "string", "MatConvNet imagenet-vgg-verydeep-19.mat; unset: found as nst-tf finds it."
    )
    finetune_from: str | None = setting(
        "string",
        "A trained network's --output_dir: add --styles to it, training only their gammas and "
        "betas (Dumoulin et al. 2017, section 5; magenta's finetune).",
    )
    image_size: int = setting("integer", "Side of the square training crops (256).")
    photo_size: int = setting(
        "integer",
        "Photos are decoded once and kept with their short side at this size; each crop takes a "
        "random side in [image_size, photo_size] and is resized to image_size (multi-scale).",
    )
    style_size: int | None = setting(
        "integer", "Long side the style images are resized to (aspect kept); unset: their own."
    )
    batch_size: int = setting("integer", "Photos per step, over all devices (global batch).")
    num_steps: int = setting("integer", "Adam steps.")
    learning_rate: float = setting("float", "Adam learning rate (1e-3, Johnson et al.).")
    width: float = setting(
        "float", "Channel multiplier of the network (1: 32-64-128 channels; magenta's alpha)."
    )
    seed: int = setting(
        "integer", "Seed of the network's initial weights, the photo order, crops and styles."
    )
    preview_image: str | None = setting(
        "string",
        "Photo every style is applied to for TensorBoard and preview.png; unset: the first "
        "training photo, held out of training.",
    )
    # The loss: the engine's cost terms (nst_tf/objective/terms/), as nst-tf's settings.
    means: tuple[float, float, float] = setting("list", "RGB means subtracted before VGG.")
    pooling: str = setting("enum", "VGG pooling (paper: avg).", vgg.POOLINGS)
    terms: tuple[str, ...] = setting(
        "list", f"Cost terms by name ({', '.join(TRAINING_TERMS)}); tv joins when --tv_weight > 0."
    )
    content_layer: WeightedLayers = setting("string", "Content layer(s), e.g. conv4_2.")
    style_layers: WeightedLayers = setting(
        "string", "Style layers and weights, e.g. conv1_1:0.2,...,conv5_1:0.2 (the paper's)."
    )
    alpha: float = setting("float", "Content weight (paper: 10).")
    beta: float = setting("float", "Style weight (paper: 40).")
    tv_weight: float = setting("float", "Total variation weight.")
    content_normalization: str = setting(
        "enum", "Eq. 1's normalisation: paper or gatys2016.", CONTENT_NORMALIZATIONS
    )
    # Outputs.
    log_every: int = setting("integer", "Log the loss (trace.csv, TensorBoard) every N steps.")
    preview_every: int = setting(
        "integer", "Apply each style to the preview photo (TensorBoard, preview.png) every N steps."
    )
    checkpoint_every: int = setting("integer", "Checkpoint every N steps (and at the last).")
    keep_checkpoints: int = setting("integer", "How many recent checkpoints to keep.")
    tensorboard: bool = setting("boolean", "Write TensorBoard events to output_dir/tensorboard.")
    precision: str = setting(
        "enum",
        "Conv precision of the network and VGG: float32, bfloat16 (variables, norms and losses "
        "stay float32) or auto (bfloat16 where the hardware runs it fast).",
        PRECISIONS,
    )

    @property
    def style_paths(self) -> tuple[str, ...]:
        return split_paths(self.styles)

    def validate(self) -> NetworkConfig:
        """Raises UserError for the first setting a training run could not use."""
        check_finite(self)
        for name in (
            "image_size",
            "batch_size",
            "num_steps",
            "log_every",
            "preview_every",
            "checkpoint_every",
            "keep_checkpoints",
        ):
            require(getattr(self, name) > 0, name, "a positive integer", getattr(self, name))
        require(
            self.photo_size >= self.image_size,
            "photo_size",
            f"at least --image_size ({self.image_size})",
            self.photo_size,
        )
        if self.style_size is not None:
            require(self.style_size > 0, "style_size", "a positive integer", self.style_size)
        require(self.learning_rate > 0, "learning_rate", "positive", self.learning_rate)
        require(self.width > 0, "width", "positive", self.width)
        require(0 <= self.seed < 2**31, "seed", "within [0, 2**31)", self.seed)
        check_objective(self)
        unsupported = sorted(set(self.terms) - set(TRAINING_TERMS))
        if unsupported:
            raise UserError(
                f"--terms: nst-tf-train trains with {', '.join(TRAINING_TERMS)}, not "
                f"{', '.join(unsupported)} (their targets are per photo or per job)"
            )
        check_choices(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def settings() -> list[dataclasses.Field]:
    return list(dataclasses.fields(NetworkConfig))


def make_network_config(
    table: dict[str, Any], overrides: dict[str, Any] | None = None
) -> NetworkConfig:
    """Merges overrides (None means 'not given') into a config table and validates it."""
    merged = {**table, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    return from_table(NetworkConfig, merged)


def require_inputs(config: NetworkConfig) -> None:
    """A run needs styles and photos; checked before anything is read."""
    if not config.style_paths:
        raise UserError("--styles is required: give one or more style images, comma-separated")
    if not config.train_images:
        raise UserError("--train_images is required: give a folder or a glob of photos")

"""A trained network applied to photos, with the paper's four controls, as nst-tf-apply runs it.

- Interpolation: `style_weights` over the N styles, normalised to sum 1; the network's gammas
  and betas are their weighted sums (a one-hot vector is exactly that style).
- Degree: `degree` d scales the style weights, so the identity slot (trained with the content
  loss only) takes 1 - d: gamma and beta move from the photo's own towards the style's, as Ghiasi
  et al. (2017) interpolate towards the content's own style embedding. The identity slot only
  approximates the photo, so the share r of the identity also brings back that share of what
  it loses: output = N(x; w) + r (x - N(x; identity)). d = 0 gives the photo exactly (and runs
  no network), d = 1 the full style, and the path between is continuous.
- Regions: `masks` (one per style, white where it goes) are per-pixel weights, carried to every
  layer's resolution (nst_tf.network.style_maps); uncovered pixels are the identity's, so they
  stay the photo as in nst-tf. Overlaps are normalised to sum 1. One pass for all regions.
- Colours: `luminance` keeps the output's YIQ luminance with the photo's chroma, `histogram`
  matches the output's RGB mean and covariance to the photo's (nst_tf.images.color).

Photos of one size run as one batch (up to `batch_size`); any size works (at least 5 px a
side, for the 9x9 convolutions' reflect padding at the quarter-resolution layers).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from nst_tf.errors import UserError
from nst_tf.images import color
from nst_tf.network.style_maps import IDENTITY, with_identity
from nst_tf.network.transformer import StyleNetwork

MIN_SIDE = 5


@dataclasses.dataclass(frozen=True)
class Controls:
    style_weights: tuple[float, ...]  # one per style, any positive sum (normalised here)
    degree: float = 1.0
    preserve_colors: str = "none"
    color_match: str = "pca"


def check_controls(controls: Controls, styles: Sequence[str], model: str) -> None:
    weights = controls.style_weights
    if len(weights) != len(styles):
        raise UserError(
            f"--style_weights has {len(weights)} weight{'s' * (len(weights) != 1)} but {model} "
            f"has {len(styles)} style{'s' * (len(styles) != 1)} ({', '.join(styles)}): give one "
            "weight per style"
        )
    if not all(np.isfinite(w) and w >= 0 for w in weights) or sum(weights) <= 0:
        raise UserError(f"--style_weights must be >= 0 with a positive sum, got {list(weights)}")
    if not 0.0 <= controls.degree <= 1.0:
        raise UserError(f"--degree must be within [0, 1], got {controls.degree}")
    if controls.preserve_colors not in color.PRESERVE_COLORS:
        raise UserError(f"--preserve_colors must be one of {', '.join(color.PRESERVE_COLORS)}")


def check_size(pixels: np.ndarray, path: str) -> None:
    if min(pixels.shape[:2]) < MIN_SIDE:
        raise UserError(
            f"{path} is {pixels.shape[1]}x{pixels.shape[0]}; the network needs at least "
            f"{MIN_SIDE} px a side"
        )


class Stylizer:
    """Runs the network on uint8 batches with the controls; returns uint8 [B, H, W, 3]."""

    def __init__(self, network: StyleNetwork, controls: Controls, precision: str):
        self.network = network
        # Per-image weights [B, S] and per-pixel maps [B, H, W, S] are compiled apart: one
        # function relaxed over both ranks loses the shapes the network's resizes need.
        self._runs = {
            rank: tf.function(
                lambda images, slot_weights: network(images, slot_weights, precision),
                reduce_retracing=True,
            )
            for rank in (2, 4)
        }
        self._set_controls(controls)

    def with_controls(self, controls: Controls) -> Stylizer:
        """The same network with other controls, sharing this one's compiled function.

        The controls are inputs of the compiled network, so a figure that varies them (or an
        interface with sliders) pays for one trace per image size, not one per setting.
        """
        other = copy.copy(self)
        other._set_controls(controls)
        return other

    def _set_controls(self, controls: Controls) -> None:
        self.controls = controls
        weights = np.asarray(controls.style_weights, np.float32)
        self._style = controls.degree * weights / weights.sum()

    def slot_weights(self, batch: int, masks: Sequence[np.ndarray] = ()) -> np.ndarray:
        """[B, S] from the style weights, or [B, H, W, S] from per-style masks [H, W]."""
        if not masks:
            return np.repeat(with_identity(self._style).numpy()[np.newaxis], batch, axis=0)
        maps = np.stack(masks, axis=-1).astype(np.float32)
        covered = maps.sum(axis=-1, keepdims=True)
        maps = np.where(covered > 1.0, maps / np.maximum(covered, 1e-12), maps)
        maps = self.controls.degree * maps
        return np.repeat(with_identity(maps).numpy()[np.newaxis], batch, axis=0)

    def __call__(self, photos: np.ndarray, masks: Sequence[np.ndarray] = ()) -> np.ndarray:
        photos = np.asarray(photos, np.float32)
        weights = self.slot_weights(len(photos), masks)
        identity_share = weights[..., IDENTITY : IDENTITY + 1]
        if np.all(identity_share == 1.0):  # degree 0: the photos themselves
            output = photos
        else:
            run = self._runs[weights.ndim]
            output = run(photos, weights).numpy()
            if np.any(identity_share > 0):
                own = np.zeros_like(weights)
                own[..., IDENTITY] = 1.0
                lost = photos - run(photos, own).numpy()
                share = identity_share if masks else identity_share[:, np.newaxis, np.newaxis]
                output = output + share * lost
        pairs = zip(output, photos, strict=True)
        return np.stack([self._colors(out, photo) for out, photo in pairs])

    def _colors(self, output: np.ndarray, photo: np.ndarray) -> np.ndarray:
        mode = self.controls.preserve_colors
        if mode == "luminance":
            return color.with_chroma_of(output, photo)
        if mode == "histogram":
            output = color.match_colors(output, photo, self.controls.color_match)
        return np.clip(np.round(output), 0, 255).astype(np.uint8)

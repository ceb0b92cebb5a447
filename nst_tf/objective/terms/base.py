"""What every cost term is: a name, a weight, targets prepared once, a cost per image.

A term's `prepare` runs once per job, outside the compiled step, and returns its targets as
tensors whose first axis is the job (size 1 for one job): targets of several jobs of one size
then stack along that axis into one batch, and they reach the step as ARGUMENTS, so one traced
step serves every job of a size and every training batch (magenta's `total_loss` takes its
targets the same way). A term's `cost` maps (VGG features of the image, the image, its targets)
to its value per image [N] under its own name, and optionally to named parts that add up to it
(`style/conv1_1`, ...); trace columns, log lines and TensorBoard tags come from those names.
The objective multiplies each value by the term's weight and sums (eq. 4 for the paper's two).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Protocol

import numpy as np
import tensorflow as tf

from nst_tf.images.segmentation import Segments
from nst_tf.objective.features import TargetFeatures

TermTargets = Mapping[str, object]  # nested dicts/tuples of tensors, job axis first


@dataclasses.dataclass(frozen=True)
class TermImages:
    """What terms prepare their targets from, for one job.

    `content` and `styles` are what VGG sees: normalized float32 [1, H, W, 3] (after any colour
    handling), the content at the working size and each style at its own. `masks` are the
    --style_masks, float [H, W] at the working size. `content_pixels` is the content image as
    read, uint8 [H, W, 3] at the working size, for terms that need its colours. `segments` are
    the classes of --content_segmentation and --style_segmentation, each image's masks at its
    size (Luan et al.'s augmented style loss), or None.
    """

    content: np.ndarray
    styles: tuple[np.ndarray, ...]
    masks: tuple[np.ndarray, ...] = ()
    content_pixels: np.ndarray | None = None
    segments: Segments | None = None


class Term(Protocol):
    name: str
    weight: float
    layers: tuple[str, ...]  # the VGG layers `cost` reads
    batchable: bool  # targets of several jobs stack along their first axis

    def prepare(self, features: TargetFeatures, images: TermImages) -> TermTargets:
        """The targets of one job, computed once."""

    def cost(
        self, features: Mapping[str, tf.Tensor], image: tf.Tensor, targets: TermTargets
    ) -> dict[str, tf.Tensor]:
        """{name: [N] value, then any named parts that sum to it}, unweighted."""

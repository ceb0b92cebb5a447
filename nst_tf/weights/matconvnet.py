"""The MatConvNet file `imagenet-vgg-verydeep-19.mat`: read, checked and written.

The paper loads the file the deeplearning.ai course way: `layers[0][i][0][0]` is one layer's
struct, its field 0 the name and field 2 a cell of {kernel, bias}. Kernels are already
[H, W, in, out] with RGB input channels, so they go into Keras unchanged. The same nesting is
written by `write_matconvnet`, which the weight converter and the tests use, so a single reader
serves the official file, the converted registry weights and the tiny test networks. A file
whose weights are not all finite is refused when read: such a network turns every cost into 0
or NaN and a run would end "completed" with a garbage image.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping

import numpy as np
import scipy.io
from absl import logging

from nst_tf.errors import UserError
from nst_tf.files import atomic_path
from nst_tf.model.vgg import CONV_LAYERS, VGG19_LAYERS, VggWeights, build_feature_extractor
from nst_tf.weights.locate import fetch_hint


def provenance_path(mat_path: str) -> str:
    """Where the fetch script records a weights file's origin (source, sha256, quantized)."""
    return mat_path + ".provenance.json"


def read_matconvnet(path: str) -> VggWeights:
    """Reads the 16 conv layers of VGG-19; any problem becomes one line naming the file."""
    if not os.path.isfile(path):
        raise UserError(f"VGG-19 weights not found at {path}: {fetch_hint(path)}")
    try:
        mat = scipy.io.loadmat(path)
    except Exception as err:  # scipy raises many types for a damaged or foreign file
        raise UserError(
            f"{path} is not a readable MatConvNet .mat file ({type(err).__name__}: {err}); "
            f"delete it and {fetch_hint(path)}"
        ) from None
    if "layers" not in mat:
        raise UserError(
            f"{path} has no 'layers' entry, so it is not a MatConvNet network; {fetch_hint(path)}"
        )
    layers = mat["layers"]
    try:
        names = [str(layers[0][i][0][0][0][0]) for i in range(layers.shape[1])]
    except (IndexError, TypeError) as err:
        raise UserError(
            f"{path}: unexpected 'layers' nesting ({err}); {fetch_hint(path)}"
        ) from None
    if tuple(names[: len(VGG19_LAYERS)]) != VGG19_LAYERS:
        raise UserError(
            f"{path} is not VGG-19: its layers start {names[:6]}, expected conv1_1, relu1_1, ...; "
            f"{fetch_hint(path)}"
        )
    kernels, biases = {}, {}
    in_channels = 3
    for index, name in enumerate(VGG19_LAYERS):
        if not name.startswith("conv"):
            continue
        weights = layers[0][index][0][0][2]
        kernel = np.asarray(weights[0][0], dtype=np.float32)
        bias = np.asarray(weights[0][1], dtype=np.float32).reshape(-1)
        if (
            kernel.ndim != 4
            or kernel.shape[:3] != (3, 3, in_channels)
            or kernel.shape[3] != bias.size
        ):
            raise UserError(
                f"{path}: layer {name} has kernel {kernel.shape} and bias {bias.shape}, "
                f"expected [3, 3, {in_channels}, C] and [C]; {fetch_hint(path)}"
            )
        if not (np.isfinite(kernel).all() and np.isfinite(bias).all()):
            raise UserError(
                f"{path}: layer {name} holds NaN or infinite weights, so the file is damaged; "
                f"delete it and {fetch_hint(path)}"
            )
        kernels[name], biases[name] = kernel, bias
        in_channels = kernel.shape[3]
    return VggWeights(kernels, biases, _read_mean(mat), _read_provenance(path))


def _read_mean(mat: Mapping) -> np.ndarray | None:
    """The RGB mean from meta.normalization.averageImage, when the file carries one."""
    try:
        average = mat["meta"]["normalization"][0][0]["averageImage"][0][0]
    except (KeyError, IndexError, ValueError, TypeError):
        return None
    average = np.asarray(average, dtype=np.float64)
    if average.ndim == 3 and average.shape[2] == 3 and average.size > 3:
        average = average.mean(axis=(0, 1))  # a full mean image: its per-channel average
    average = average.reshape(-1)
    return average if average.size == 3 else None


def _read_provenance(path: str) -> dict | None:
    try:
        with open(provenance_path(path)) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def write_matconvnet(
    path: str,
    kernels: Mapping[str, np.ndarray],
    biases: Mapping[str, np.ndarray],
    mean_rgb: Iterable[float],
) -> None:
    """Writes conv1_1 ... pool5 with the official file's nesting, atomically."""
    layers = np.empty((1, len(VGG19_LAYERS)), dtype=object)
    for index, name in enumerate(VGG19_LAYERS):
        kind = name.rstrip("_0123456789")
        kind = {"conv": "conv", "relu": "relu", "pool": "pool"}[kind]
        layer: dict = {"name": name, "type": kind}
        if kind == "conv":
            cell = np.empty((1, 2), dtype=object)
            cell[0, 0] = np.asarray(kernels[name], dtype=np.float32)
            cell[0, 1] = np.asarray(biases[name], dtype=np.float32).reshape(-1, 1)
            layer.update(
                weights=cell,
                size=np.array([cell[0, 0].shape], dtype=np.float64),
                pad=np.ones((1, 4)),
                stride=np.ones((1, 2)),
            )
        elif kind == "pool":
            layer.update(
                weights=np.empty((0, 0), dtype=object),
                method="max",
                pool=np.full((1, 2), 2.0),
                stride=np.full((1, 2), 2.0),
                pad=np.zeros((1, 4)),
            )
        else:
            layer.update(weights=np.empty((0, 0), dtype=object))
        layers[0, index] = layer
    mean = np.asarray(list(mean_rgb), dtype=np.float32).reshape(1, 1, 3)
    meta = {"normalization": {"averageImage": mean, "imageSize": np.array([[224.0, 224.0, 3.0]])}}
    with atomic_path(path) as tmp_path, open(tmp_path, "wb") as handle:
        scipy.io.savemat(handle, {"layers": layers, "meta": meta}, do_compression=False)


def describe(path: str, weights: VggWeights) -> str:
    """One short line on where the weights came from; the full record is in config.json."""
    provenance = weights.provenance or {}
    source = provenance.get("source", "no provenance record")
    quantized = ", 8-bit quantized" if provenance.get("quantized") else ""
    return f"VGG-19 weights: {path} ({source}{quantized})"


def load_vgg_model(
    path: str,
    pooling: str = "avg",
    layers: Iterable[str] | None = None,
    precision: str = "float32",
):
    """The paper's step 4: reads the .mat and returns the feature extractor (every conv layer
    unless `layers` names fewer)."""
    weights = read_matconvnet(path)
    logging.info("%s", describe(path, weights))
    return build_feature_extractor(weights, layers or CONV_LAYERS, pooling, precision)

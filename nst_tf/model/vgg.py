"""VGG-19 from the MatConvNet file `imagenet-vgg-verydeep-19.mat`, as a Keras feature extractor.

The paper loads the file the deeplearning.ai course way: `layers[0][i][0][0]` is one layer's
struct, its field 0 the name and field 2 a cell of {kernel, bias}. Kernels are already
[H, W, in, out] with RGB input channels, so they go into Keras unchanged. The same nesting is
written by `write_matconvnet`, which the weight converter and the tests use, so a single reader
serves the official file, the converted registry weights and the tiny test networks.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping

import numpy as np
import scipy.io
from absl import logging

from nst_tf.errors import UserError
from nst_tf.outputs.files import atomic_path
from nst_tf.weights.locate import fetch_hint

VGG19_LAYERS = (
    "conv1_1",
    "relu1_1",
    "conv1_2",
    "relu1_2",
    "pool1",
    "conv2_1",
    "relu2_1",
    "conv2_2",
    "relu2_2",
    "pool2",
    "conv3_1",
    "relu3_1",
    "conv3_2",
    "relu3_2",
    "conv3_3",
    "relu3_3",
    "conv3_4",
    "relu3_4",
    "pool3",
    "conv4_1",
    "relu4_1",
    "conv4_2",
    "relu4_2",
    "conv4_3",
    "relu4_3",
    "conv4_4",
    "relu4_4",
    "pool4",
    "conv5_1",
    "relu5_1",
    "conv5_2",
    "relu5_2",
    "conv5_3",
    "relu5_3",
    "conv5_4",
    "relu5_4",
    "pool5",
)
CONV_LAYERS = tuple(name for name in VGG19_LAYERS if name.startswith("conv"))
VGG19_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}  # output channels of each block
POOLINGS = ("avg", "max")
PRECISIONS = ("float32", "bfloat16")


@dataclasses.dataclass(frozen=True)
class VggWeights:
    """Conv kernels [3, 3, in, out] and biases [out] by layer name, plus the RGB mean."""

    kernels: dict[str, np.ndarray]
    biases: dict[str, np.ndarray]
    mean_rgb: np.ndarray | None
    provenance: dict | None


def random_weights(
    seed: int = 0, channels: Mapping[int, int] = VGG19_CHANNELS, bias_scale: float = 0.0
) -> VggWeights:
    """He-initialised VGG-19-shaped weights, for tests and benchmarks that need no real ones."""
    rng = np.random.RandomState(seed)
    kernels, biases, in_channels = {}, {}, 3
    for name in CONV_LAYERS:
        out_channels = channels[int(name[4])]
        scale = np.sqrt(2.0 / (9 * in_channels))
        kernels[name] = (rng.randn(3, 3, in_channels, out_channels) * scale).astype(np.float32)
        biases[name] = (rng.randn(out_channels) * bias_scale).astype(np.float32)
        in_channels = out_channels
    return VggWeights(kernels, biases, None, None)


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


def check_layer_names(names: Iterable[str]) -> None:
    """Rejects names outside conv1_1 ... conv5_4 before any graph is built."""
    unknown = [name for name in names if name not in CONV_LAYERS]
    if unknown:
        raise UserError(
            f"unknown VGG-19 layer {', '.join(unknown)}: choose from {', '.join(CONV_LAYERS)}"
        )


def build_feature_extractor(
    weights: VggWeights,
    layers: Iterable[str],
    pooling: str = "avg",
    precision: str = "float32",
    recompute: bool = False,
):
    """A Keras model image [N, H, W, 3] -> {layer: ReLU output}, built only as deep as needed.

    With precision="bfloat16" the convolutions and pools hold and compute in bfloat16; callers
    cast the returned features to float32 before Grams and losses. With recompute=True each
    block's activations are recomputed in the backward pass rather than kept (model/recompute.py):
    the same values and gradients in less memory, for large images.
    """
    import keras

    from nst_tf.model.layers import ConvReLU
    from nst_tf.model.recompute import RecomputedBlock

    layers = list(dict.fromkeys(layers))
    check_layer_names(layers)
    if pooling not in POOLINGS:
        raise UserError(f"unknown pooling {pooling!r}: use one of {', '.join(POOLINGS)}")
    if precision not in PRECISIONS:
        raise UserError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    deepest = max(VGG19_LAYERS.index(name) for name in layers)
    pool_class = keras.layers.AveragePooling2D if pooling == "avg" else keras.layers.MaxPooling2D

    blocks: dict[int, list] = {}
    for name in VGG19_LAYERS[: deepest + 1]:
        if name.startswith("conv"):
            kernel, bias = weights.kernels[name], weights.biases[name]
            layer = ConvReLU(kernel, bias, name=name, dtype=precision)
        elif name.startswith("pool"):
            layer = pool_class(2, strides=2, padding="same", name=name, dtype=precision)
        else:
            continue
        blocks.setdefault(int(name[4]), []).append(layer)

    image = keras.Input(shape=(None, None, 3), name="image")
    x = image
    outputs = {}
    for block, block_layers in blocks.items():
        taps = [layer.name for layer in block_layers if layer.name in layers]
        if recompute:
            x, *tapped = RecomputedBlock(block_layers, taps, name=f"block{block}")(x)
            outputs.update(zip(taps, tapped, strict=True))
            continue
        for layer in block_layers:
            x = layer(x)
            if layer.name in taps:
                outputs[layer.name] = x
    return keras.Model(image, outputs, name="vgg19_features")


def load_vgg_model(
    path: str,
    pooling: str = "avg",
    layers: Iterable[str] | None = None,
    precision: str = "float32",
):
    """Reads the .mat and returns the feature extractor (all conv layers unless told)."""
    weights = read_matconvnet(path)
    if weights.provenance:
        logging.info("VGG-19 weights %s: %s", path, json.dumps(weights.provenance, sort_keys=True))
    return build_feature_extractor(weights, layers or CONV_LAYERS, pooling, precision)

"""VGG-19 as a Keras feature extractor, from weights already in memory.

The layer table and the extractor live here; reading and writing the MatConvNet file
`imagenet-vgg-verydeep-19.mat` is nst_tf.weights.matconvnet's job (it builds on this module, so
the network never depends on where its weights come from).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import numpy as np

from nst_tf.errors import UserError

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


def feature_size(height: int, width: int, layer: str) -> tuple[int, int]:
    """(n_H, n_W) of `layer`'s features for an image of height x width: every 2x2 SAME pool
    before it halves each side, rounding up (3x3 SAME convs keep the size)."""
    for name in VGG19_LAYERS[: VGG19_LAYERS.index(layer)]:
        if name.startswith("pool"):
            height, width = -(-height // 2), -(-width // 2)
    return height, width


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

"""The feed-forward style network: Johnson et al. (2016)'s layout, conditioned as Dumoulin et al.

Johnson, Alahi, Fei-Fei (2016), "Perceptual Losses for Real-Time Style Transfer" (the paper's
[13]; jcjohnson/fast-neural-style models.lua `c9s1-32,d64,d128,R128x5,u64,u32,c9s1-3`), with
the changes Dumoulin, Shlens, Kudlur (2017) made for many styles (magenta image_stylization
model.py `transform`):

- a conditional instance norm (nst_tf.network.norm) after every convolution, the last one
  included, so every layer has a gamma and beta row per style; no conv biases (beta is one);
- upsampling by a nearest-neighbour resize then a 3x3 convolution, not a transposed
  convolution, whose uneven overlaps paint checkerboards (Odena et al. 2016; fast-neural-style
  issue #37; pytorch/examples' `UpsampleConvLayer` does the same). Each resize goes to the size
  of the encoder layer it mirrors, so any H x W comes back as H x W, odd sides included;
- reflect padding before every VALID convolution, so borders see image-like values instead of
  zeros (all three references);
- a sigmoid output x 255 (magenta; Johnson's is 150 tanh): the image is 0..255 by construction;
- conv kernels start N(0, 0.01) (magenta); gammas ones and betas zeros.

`width` multiplies every channel count (magenta's `alpha`): 0.25 is a 16x cheaper network for
quick tries, and tests use tiny widths. `precision="bfloat16"` runs the convolutions in
bfloat16 (the variables stay float32); normalisation and everything after it is float32.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from nst_tf.network.norm import conditional_instance_norm
from nst_tf.network.style_maps import pyramid

RESIDUAL_BLOCKS = 5
LEVELS = 3  # full, half and quarter resolution
KERNEL_STDDEV = 0.01


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    name: str
    kernel: int
    stride: int
    filters: int  # at width 1
    level: int  # resolution the layer's output has: 0 full, 1 half, 2 quarter


LAYERS = (
    LayerSpec("conv1", 9, 1, 32, 0),
    LayerSpec("conv2", 3, 2, 64, 1),
    LayerSpec("conv3", 3, 2, 128, 2),
    *(
        LayerSpec(f"residual{block}_{part}", 3, 1, 128, 2)
        for block in range(1, RESIDUAL_BLOCKS + 1)
        for part in ("a", "b")
    ),
    LayerSpec("upsample1", 3, 1, 64, 1),
    LayerSpec("upsample2", 3, 1, 32, 0),
    LayerSpec("output", 9, 1, 3, 0),
)


def channels(filters: int, width: float, name: str) -> int:
    """A layer's channel count at `width` (the output layer always has 3)."""
    return 3 if name == "output" else max(1, round(filters * width))


class ConvNorm(tf.Module):
    """Reflect padding, a VALID convolution without bias, a conditional instance norm."""

    def __init__(self, spec: LayerSpec, in_channels: int, out_channels: int, slots: int, seed):
        super().__init__(name=spec.name)
        self.spec = spec
        shape = [spec.kernel, spec.kernel, in_channels, out_channels]
        self.kernel = tf.Variable(
            tf.random.stateless_normal(shape, seed=seed, stddev=KERNEL_STDDEV), name="kernel"
        )
        self.gamma = tf.Variable(tf.ones([slots, out_channels]), name="gamma")
        self.beta = tf.Variable(tf.zeros([slots, out_channels]), name="beta")

    def __call__(self, x: tf.Tensor, weights: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
        pad = self.spec.kernel // 2
        x = tf.pad(tf.cast(x, dtype), [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
        y = tf.nn.conv2d(x, tf.cast(self.kernel, dtype), self.spec.stride, "VALID")
        return conditional_instance_norm(tf.cast(y, tf.float32), self.gamma, self.beta, weights)


class StyleNetwork(tf.Module):
    """image [B, H, W, 3] in 0..255 and slot weights -> the stylized image [B, H, W, 3], 0..255.

    Slot weights are per image [B, S] or per pixel [B, H, W, S] (nst_tf.network.style_maps);
    S = `slots`, the identity slot and one per style.
    """

    def __init__(self, slots: int, width: float = 1.0, seed: int = 0):
        super().__init__(name="style_network")
        self.slots = slots
        self.width = width
        self.layers = []
        in_channels = 3
        for index, spec in enumerate(LAYERS):
            out_channels = channels(spec.filters, width, spec.name)
            self.layers.append(ConvNorm(spec, in_channels, out_channels, slots, [seed, index]))
            in_channels = out_channels

    def norm_variables(self) -> list[tf.Variable]:
        """Every layer's gamma and beta tables (what fine-tuning trains)."""
        return [variable for layer in self.layers for variable in (layer.gamma, layer.beta)]

    def __call__(
        self, image: tf.Tensor, weights: tf.Tensor, precision: str = "float32"
    ) -> tf.Tensor:
        dtype = tf.as_dtype(precision)
        image = tf.convert_to_tensor(image, tf.float32)
        weights = tf.convert_to_tensor(weights, tf.float32)
        at_level = pyramid(weights, LEVELS) if weights.shape.rank == 4 else [weights] * LEVELS
        layers = {layer.spec.name: layer for layer in self.layers}

        def conv(name: str, x: tf.Tensor) -> tf.Tensor:
            layer = layers[name]
            return layer(x, at_level[layer.spec.level], dtype)

        sizes = [tf.shape(image)[1:3]]
        x = tf.nn.relu(conv("conv1", image / 255.0))
        x = tf.nn.relu(conv("conv2", x))
        sizes.append(tf.shape(x)[1:3])
        x = tf.nn.relu(conv("conv3", x))
        for block in range(1, RESIDUAL_BLOCKS + 1):
            x = x + conv(f"residual{block}_b", tf.nn.relu(conv(f"residual{block}_a", x)))
        x = tf.nn.relu(conv("upsample1", tf.image.resize(x, sizes[1], method="nearest")))
        x = tf.nn.relu(conv("upsample2", tf.image.resize(x, sizes[0], method="nearest")))
        return tf.sigmoid(conv("output", x)) * 255.0

"""The MatConvNet reader and the Keras extractor against a plain tf.nn reference chain."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
import tensorflow as tf

from nst_tf.errors import UserError
from nst_tf.model import vgg
from nst_tf.weights import matconvnet
from tests.helpers import tiny_vgg_weights

HEIGHT, WIDTH = 23, 17  # odd, so SAME pooling pads at every level: 23x17 -> 12x9 -> 6x5 -> ...


def _file_weights(path):
    """Kernels and biases read straight from the .mat's nesting, without nst_tf."""
    layers = scipy.io.loadmat(path)["layers"]
    kernels, biases = {}, {}
    for index in range(layers.shape[1]):
        layer = layers[0][index][0][0]
        name = str(layer[0][0])
        if name.startswith("conv"):
            kernels[name] = np.asarray(layer[2][0][0], np.float32)
            biases[name] = np.asarray(layer[2][0][1], np.float32).reshape(-1)
    return kernels, biases


def _reference_features(path, image, pooling):
    kernels, biases = _file_weights(path)
    pool = tf.nn.avg_pool2d if pooling == "avg" else tf.nn.max_pool2d
    x = tf.constant(image)
    out = {}
    for name in vgg.VGG19_LAYERS:
        if name.startswith("conv"):
            x = tf.nn.conv2d(x, kernels[name], strides=1, padding="SAME") + biases[name]
        elif name.startswith("relu"):
            x = tf.nn.relu(x)
            out["conv" + name[4:]] = x.numpy()
        else:
            x = pool(x, ksize=2, strides=2, padding="SAME")
    return out


def _image(seed=0):
    rng = np.random.RandomState(seed)
    pixels = rng.uniform(0, 255, (1, HEIGHT, WIDTH, 3))
    return (pixels - np.array([123.68, 116.779, 103.939])).astype(np.float32)


@pytest.fixture(scope="module")
def full_models(tiny_vgg_path):
    return {
        pooling: matconvnet.load_vgg_model(tiny_vgg_path, pooling=pooling)
        for pooling in vgg.POOLINGS
    }


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_every_conv_layer_matches_reference_chain(tiny_vgg_path, full_models, pooling):
    image = _image()
    ref = _reference_features(tiny_vgg_path, image, pooling)
    got = {name: value.numpy() for name, value in full_models[pooling](image).items()}
    assert sorted(got) == sorted(vgg.CONV_LAYERS)
    assert got["conv5_4"].shape == (1, 2, 2, 8)  # 23x17 -> 12x9 -> 6x5 -> 3x3 -> 2x2
    for name in vgg.CONV_LAYERS:
        assert got[name].shape == ref[name].shape, name
        scale = np.abs(ref[name]).max()
        assert scale > 0, name
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-4, atol=1e-5 * scale, err_msg=name)


def test_avg_and_max_pooling_differ(full_models):
    image = _image(1)
    avg = full_models["avg"](image)["conv2_1"].numpy()
    mx = full_models["max"](image)["conv2_1"].numpy()
    assert np.abs(avg - mx).max() > 1e-2


def test_layers_builds_only_to_deepest_requested(tiny_vgg_path):
    model = matconvnet.load_vgg_model(tiny_vgg_path, layers=["conv2_1", "conv1_1"])
    names = [layer.name for layer in model.layers if layer.name != "image"]
    assert names == ["conv1_1", "conv1_2", "pool1", "conv2_1"]
    outputs = model(_image())
    assert sorted(outputs) == ["conv1_1", "conv2_1"]

    model = matconvnet.load_vgg_model(tiny_vgg_path, layers=["conv4_2"])
    names = [layer.name for layer in model.layers if layer.name != "image"]
    expected = vgg.VGG19_LAYERS[: vgg.VGG19_LAYERS.index("conv4_2") + 1]
    assert names == [name for name in expected if not name.startswith("relu")]
    assert names[-1] == "conv4_2" and "conv4_3" not in names and "pool4" not in names


def test_partial_model_matches_full_model(tiny_vgg_path, full_models):
    image = _image(2)
    partial = matconvnet.load_vgg_model(tiny_vgg_path, layers=["conv3_1"])(image)["conv3_1"].numpy()
    full = full_models["avg"](image)["conv3_1"].numpy()
    np.testing.assert_allclose(partial, full, rtol=1e-6, atol=1e-6)


def test_read_matconvnet_returns_written_arrays_and_mean(tiny_vgg_path):
    weights = matconvnet.read_matconvnet(tiny_vgg_path)
    kernels, biases = tiny_vgg_weights()
    assert sorted(weights.kernels) == sorted(vgg.CONV_LAYERS)
    for name in vgg.CONV_LAYERS:
        assert weights.kernels[name].shape == kernels[name].shape  # [3, 3, in, out]
        np.testing.assert_array_equal(weights.kernels[name], kernels[name])
        np.testing.assert_array_equal(weights.biases[name], biases[name])
    assert weights.kernels["conv1_1"].shape == (3, 3, 3, 4)
    assert weights.kernels["conv2_1"].shape == (3, 3, 4, 6)
    np.testing.assert_allclose(weights.mean_rgb, [123.68, 116.779, 103.939], rtol=1e-6)


def _assert_user_error(path, *fragments):
    with pytest.raises(UserError) as info:
        matconvnet.read_matconvnet(str(path))
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert f"`nst-tf-fetch --out={path}`" in message
    for fragment in fragments:
        assert fragment in message
    with pytest.raises(UserError):
        matconvnet.load_vgg_model(str(path))


def test_missing_file(tmp_path):
    _assert_user_error(tmp_path / "nope.mat", "not found")


def test_truncated_file(tiny_vgg_path, tmp_path):
    with open(tiny_vgg_path, "rb") as handle:
        data = handle.read()
    path = tmp_path / "truncated.mat"
    path.write_bytes(data[: len(data) // 2])
    _assert_user_error(path)


@pytest.mark.parametrize("size", [0, 10])
def test_empty_or_header_only_file(tiny_vgg_path, tmp_path, size):
    # An interrupted download can leave an empty file; scipy raises MatReadError for it.
    with open(tiny_vgg_path, "rb") as handle:
        data = handle.read()
    path = tmp_path / "short.mat"
    path.write_bytes(data[:size])
    _assert_user_error(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "random.mat"
    path.write_bytes(np.random.RandomState(0).bytes(5000))
    _assert_user_error(path)


def test_mat_without_layers(tmp_path):
    path = tmp_path / "nolayers.mat"
    scipy.io.savemat(str(path), {"net": np.zeros(3)})
    _assert_user_error(path, "layers")


def test_layers_with_wrong_nesting(tmp_path):
    path = tmp_path / "flat.mat"
    scipy.io.savemat(str(path), {"layers": np.zeros((1, 3))})
    _assert_user_error(path)


def test_wrong_layer_names(tmp_path):
    kernels, biases = tiny_vgg_weights()
    layers = np.empty((1, len(vgg.VGG19_LAYERS)), dtype=object)
    for index, name in enumerate(vgg.VGG19_LAYERS):
        wrong = name.replace("conv", "layer")  # e.g. a ResNet or renamed network
        layer = {"name": wrong, "type": "conv" if name.startswith("conv") else "relu"}
        if name.startswith("conv"):
            cell = np.empty((1, 2), dtype=object)
            cell[0, 0], cell[0, 1] = kernels[name], biases[name].reshape(-1, 1)
            layer["weights"] = cell
        else:
            layer["weights"] = np.empty((0, 0), dtype=object)
        layers[0, index] = layer
    path = tmp_path / "renamed.mat"
    scipy.io.savemat(str(path), {"layers": layers})
    _assert_user_error(path, "not VGG-19")


def test_short_network(tmp_path):
    layers = np.empty((1, 2), dtype=object)
    for index, name in enumerate(["conv1_1", "relu1_1"]):
        layers[0, index] = {"name": name, "type": "x", "weights": np.empty((0, 0), dtype=object)}
    path = tmp_path / "short_net.mat"
    scipy.io.savemat(str(path), {"layers": layers})
    _assert_user_error(path, "not VGG-19")


@pytest.mark.parametrize(
    "layer,shape",
    [
        ("conv1_1", (4, 3, 3, 3)),  # PyTorch's [out, in, H, W] order
        ("conv2_1", (3, 3, 5, 6)),  # in-channels not matching conv1_2's 4 outputs
        ("conv3_2", (1, 1, 8, 8)),  # 1x1 kernel
    ],
)
def test_kernel_with_wrong_shape(tmp_path, layer, shape):
    kernels, biases = tiny_vgg_weights()
    kernels[layer] = np.zeros(shape, np.float32)
    path = tmp_path / "badkernel.mat"
    matconvnet.write_matconvnet(str(path), kernels, biases, (123.68, 116.779, 103.939))
    _assert_user_error(path, layer)


def test_bias_with_wrong_size(tmp_path):
    kernels, biases = tiny_vgg_weights()
    biases["conv4_1"] = np.zeros(3, np.float32)
    path = tmp_path / "badbias.mat"
    matconvnet.write_matconvnet(str(path), kernels, biases, (123.68, 116.779, 103.939))
    _assert_user_error(path, "conv4_1")


def test_check_layer_names():
    vgg.check_layer_names(["conv1_1", "conv5_4", "conv4_2"])
    with pytest.raises(UserError) as info:
        vgg.check_layer_names(["conv1_1", "conv9_9"])
    message = str(info.value)
    assert "\n" not in message
    assert "conv9_9" in message
    for name in vgg.CONV_LAYERS:
        assert name in message
    with pytest.raises(UserError):
        vgg.check_layer_names(["relu1_1"])  # not a conv layer
    with pytest.raises(UserError):
        vgg.check_layer_names(["pool5"])


def test_bad_pooling_and_precision(tiny_vgg_path):
    with pytest.raises(UserError, match="pooling"):
        matconvnet.load_vgg_model(tiny_vgg_path, pooling="median")
    with pytest.raises(UserError, match="precision"):
        matconvnet.load_vgg_model(tiny_vgg_path, precision="float16")


def test_bfloat16_close_to_float32(tiny_vgg_path, full_models):
    image = _image(3)
    model = matconvnet.load_vgg_model(tiny_vgg_path, precision="bfloat16")
    low = model(image)
    full = full_models["avg"](image)
    for name in vgg.CONV_LAYERS:
        assert low[name].dtype == tf.bfloat16, name
        got = tf.cast(low[name], tf.float32).numpy()
        ref = full[name].numpy()
        rel = np.linalg.norm(got - ref) / np.linalg.norm(ref)
        assert rel < 3e-2, (name, rel)

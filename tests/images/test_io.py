"""Image loading, the paper's normalization, the noisy start and atomic saving."""

from __future__ import annotations

import os
import struct
import zlib

import imageio.v3 as iio
import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.images import io as images
from tests.helpers import smooth_image


def _write_png16(path, pixels):
    """A 16-bit PNG (grey, RGB or RGBA) written by hand: Pillow cannot write 16-bit RGB."""
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    h, w, c = pixels.shape
    color_type = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + pixels[row].astype(">u2").tobytes() for row in range(h))

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.write(
            chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
        )


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _listing(folder):
    return sorted(os.listdir(folder))


def test_grayscale_2d_becomes_rgb(tmp_path):
    grey = smooth_image(9, 7, seed=3)[..., 0]
    path = str(tmp_path / "grey.png")
    iio.imwrite(path, grey)
    assert iio.imread(path).ndim == 2
    got = images.load_image(path, 9, 7)
    assert got.shape == (7, 9, 3) and got.dtype == np.uint8
    for channel in range(3):
        np.testing.assert_array_equal(got[..., channel], grey)


def test_grayscale_with_one_channel_becomes_rgb(tmp_path, monkeypatch):
    grey = smooth_image(9, 7, seed=3)[..., :1]
    path = str(tmp_path / "grey1.png")
    iio.imwrite(path, grey[..., 0])
    monkeypatch.setattr(images.iio, "imread", lambda *args, **kwargs: grey.copy())
    got = images.load_image(path, 9, 7)
    assert got.shape == (7, 9, 3) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, np.repeat(grey, 3, axis=2))


def test_grayscale_with_alpha_becomes_rgb(tmp_path):
    pixels = smooth_image(9, 7, seed=4)[..., :2]  # luminance + alpha
    path = str(tmp_path / "la.png")
    iio.imwrite(path, pixels)
    got = images.load_image(path, 9, 7)
    assert got.shape == (7, 9, 3)
    np.testing.assert_array_equal(got, np.repeat(pixels[..., :1], 3, axis=2))


def test_rgba_drops_alpha(tmp_path):
    rgb = smooth_image(9, 7, seed=5)
    alpha = np.linspace(0, 255, 63).astype(np.uint8).reshape(7, 9, 1)
    path = str(tmp_path / "rgba.png")
    iio.imwrite(path, np.concatenate([rgb, alpha], axis=2))
    got = images.load_image(path, 9, 7)
    assert got.shape == (7, 9, 3) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, rgb)  # not premultiplied, not composited


def test_16bit_grayscale_png(tmp_path):
    values = np.array([[0, 257, 1000, 32768], [40000, 65278, 65535, 128]], np.uint16)
    path = str(tmp_path / "grey16.png")
    _write_png16(path, values)
    got = images.load_image(path, 4, 2)
    assert got.shape == (2, 4, 3) and got.dtype == np.uint8
    expected = np.round(values / 257.0).astype(np.uint8)  # 0, 1, 4, 128, 156, 254, 255, 0
    for channel in range(3):
        np.testing.assert_array_equal(got[..., channel], expected)


def test_16bit_rgb_png(tmp_path):
    rng = np.random.RandomState(0)
    levels = rng.randint(0, 256, (5, 6, 3))
    pixels = (levels * 257).astype(np.uint16)  # exactly representable 8-bit levels
    path = str(tmp_path / "rgb16.png")
    _write_png16(path, pixels)
    got = images.load_image(path, 6, 5)
    assert got.shape == (5, 6, 3) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, levels.astype(np.uint8))


def test_resizes_to_width_by_height(tmp_path):
    path = str(tmp_path / "big.png")
    iio.imwrite(path, smooth_image(40, 30, seed=6))
    got = images.load_image(path, 20, 10)
    assert got.shape == (10, 20, 3) and got.dtype == np.uint8
    up = images.load_image(path, 50, 35)
    assert up.shape == (35, 50, 3)
    # A constant image stays constant when resized.
    flat = np.full((30, 40, 3), (10, 200, 77), np.uint8)
    iio.imwrite(path, flat)
    np.testing.assert_array_equal(images.load_image(path, 13, 7), flat[:7, :13])


def test_exact_size_is_untouched(tmp_path):
    pixels = smooth_image(40, 30, seed=8)
    path = str(tmp_path / "exact.png")
    iio.imwrite(path, pixels)
    got = images.load_image(path, 40, 30)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, pixels)


def test_paper_means():
    assert images.PAPER_MEANS == (123.68, 116.779, 103.939)


def test_normalize_subtracts_means_and_adds_batch_axis():
    pixels = smooth_image(5, 4, seed=9)
    got = images.normalize(pixels)
    assert got.shape == (1, 4, 5, 3) and got.dtype == np.float32
    expected = pixels.astype(np.float64) - np.array([123.68, 116.779, 103.939])
    np.testing.assert_allclose(got[0], expected, rtol=0, atol=1e-5)
    zero = images.normalize(np.zeros((1, 1, 3), np.uint8))
    np.testing.assert_array_equal(zero, np.float32([[[[-123.68, -116.779, -103.939]]]]))
    custom = images.normalize(np.full((1, 1, 3), 10, np.uint8), means=(1.0, 2.0, 3.0))
    np.testing.assert_array_equal(custom, [[[[9.0, 8.0, 7.0]]]])


def test_denormalize_adds_means_back_and_clips():
    levels = np.arange(256, dtype=np.uint8)
    pixels = np.stack([levels, levels[::-1], levels], axis=-1).reshape(16, 16, 3)
    np.testing.assert_array_equal(images.denormalize(images.normalize(pixels)), pixels)
    image = np.float32([[[[-500.0, 0.0, 200.0], [0.5, -116.779, 1000.0]]]])
    got = images.denormalize(image)
    assert got.shape == (1, 2, 3) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, [[[0, 116, 255], [124, 0, 255]]])


def _assert_one_line_error(path):
    with pytest.raises(UserError) as info:
        images.load_image(path, 4, 4, role="content")
    message = str(info.value)
    assert "\n" not in message
    assert path in message
    return message


def test_missing_path(tmp_path):
    message = _assert_one_line_error(str(tmp_path / "missing.jpg"))
    assert "content" in message


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not an image\n")
    _assert_one_line_error(str(path))


def test_a_folder_is_named_as_one_with_what_to_pass_instead(tmp_path):
    folder = str(tmp_path / "paintings")
    os.mkdir(folder)
    assert _assert_one_line_error(folder) == (
        f"content image {folder} is a folder; pass one JPEG or PNG file, or run "
        f"nst-tf-batch --contents={folder} for each image in it"
    )
    with pytest.raises(UserError, match=f"nst-tf-batch --styles={folder} for each image in it"):
        images.read_size(folder, "style")
    with pytest.raises(UserError, match=r"is a folder; pass one JPEG or PNG file$"):
        images.read_image(folder, "style mask")


def test_a_grayscale_image_is_logged_but_not_a_grayscale_mask(tmp_path, caplog):
    path = str(tmp_path / "grey.png")
    iio.imwrite(path, smooth_image(9, 7, seed=3)[..., 0])
    with caplog.at_level("INFO"):
        images.read_image(path, "style mask", gray_expected=True)
        assert caplog.text == ""
        images.read_image(path, "style")
    assert f"{path} is grayscale; converting to RGB" in caplog.text


@pytest.mark.parametrize("name", ["out.png", "out.jpg"])
def test_save_image_round_trip_and_no_temp_files(tmp_path, name):
    pixels = smooth_image(12, 8, seed=11)
    path = str(tmp_path / name)
    images.save_image(path, pixels)
    assert _listing(tmp_path) == [name]
    back = iio.imread(path)
    assert back.shape == (8, 12, 3)
    if name.endswith(".png"):
        np.testing.assert_array_equal(back, pixels)
    else:
        assert np.abs(back.astype(int) - pixels).mean() < 8  # quality 95 JPEG


def test_save_into_missing_directory_leaves_nothing(tmp_path):
    path = str(tmp_path / "missing" / "out.png")
    with pytest.raises(UserError, match=r"cannot write .*out\.png"):
        images.save_image(path, smooth_image(4, 4, seed=0))
    assert _listing(tmp_path) == []


def test_failed_write_keeps_existing_file(tmp_path):
    path = str(tmp_path / "out.png")
    images.save_image(path, smooth_image(6, 6, seed=1))
    before = _read(path)
    with pytest.raises(Exception):  # noqa: B017
        images.save_image(path, np.zeros((6, 6, 3), np.complex128))  # cannot be encoded
    assert _listing(tmp_path) == ["out.png"]
    assert _read(path) == before


def test_crash_mid_write_keeps_existing_file(tmp_path, monkeypatch):
    path = str(tmp_path / "out.png")
    images.save_image(path, smooth_image(6, 6, seed=1))
    before = _read(path)

    def half_write(target, *args, **kwargs):
        with open(target, "wb") as handle:
            handle.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(images.iio, "imwrite", half_write)
    with pytest.raises(KeyboardInterrupt):
        images.save_image(path, smooth_image(6, 6, seed=2))
    assert _listing(tmp_path) == ["out.png"]
    assert _read(path) == before

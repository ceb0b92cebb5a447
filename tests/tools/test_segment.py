"""Simple sky segmentations for Luan et al.'s runs, on synthetic landscapes."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np

from nst_tf.images.io import save_image
from nst_tf.images.segmentation import COLORS, load_segments
from nst_tf.tools import segment


def _landscape(height: int = 60, width: int = 80, horizon: int = 24, seed: int = 0):
    """A blue sky darkening upwards with a white cloud and its grey core over green ground
    with a blue lake (blue, but not sky: it does not reach the top). Returns (pixels, sky)."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.zeros((height, width, 3))
    pixels[..., 0] = 40 + 60 * y / horizon
    pixels[..., 1] = 90 + 70 * y / horizon
    pixels[..., 2] = 200 + 40 * y / horizon
    cloud = (y - 8) ** 2 / 16 + (x - 40) ** 2 / 100 < 1
    pixels[cloud] = 235
    pixels[(y - 8) ** 2 / 4 + (x - 40) ** 2 / 25 < 1] = 150  # the cloud's dark core
    ground = y >= horizon
    pixels[ground] = (70, 120, 40)
    pixels[ground & ((y - 45) ** 2 / 16 + (x - 20) ** 2 / 64 < 1)] = (30, 60, 200)  # a lake
    pixels += rng.uniform(-6, 6, pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8), ~ground


def test_the_sky_is_found_with_its_cloud_and_without_the_lake():
    pixels, sky = _landscape()
    found = segment.sky_mask(pixels)
    assert found.shape == sky.shape and found.dtype == bool
    assert np.mean(found == sky) > 0.99


def test_the_segmentation_is_in_luans_colours():
    _, sky = _landscape()
    image = segment.segmentation_image(sky)
    assert image.dtype == np.uint8
    assert (image[sky] == COLORS[segment.SKY]).all()
    assert (image[~sky] == COLORS[segment.REST]).all()


def test_a_pair_without_sky_in_both_is_not_segmented():
    landscape, _ = _landscape()
    ground = np.tile(np.array([70, 120, 40], np.uint8), (60, 80, 1))
    assert segment.pair_segmentations(landscape, ground) is None
    assert segment.pair_segmentations(ground, landscape) is None
    assert segment.pair_segmentations(landscape, _landscape(horizon=30, seed=1)[0]) is not None


def test_written_segmentations_load_as_two_matching_classes(tmp_path):
    content, content_sky = _landscape()
    style, _ = _landscape(72, 96, horizon=40, seed=2)
    paths = [str(tmp_path / "photo.jpg"), str(tmp_path / "painting.png")]
    save_image(paths[0], content)
    save_image(paths[1], style)
    written = segment.write_pair_segmentations(*paths, str(tmp_path / "segs"))
    assert written == (
        str(tmp_path / "segs" / "photo_segmentation.png"),
        str(tmp_path / "segs" / "painting_segmentation.png"),
    )
    assert iio.imread(written[1]).shape == (72, 96, 3)  # each at its own image's size
    segments = load_segments(*written, ((80, 60), (80, 60)), ((96, 72), (48, 36)))
    assert segments.colors == (segment.SKY, segment.REST)
    assert np.mean(segments.content[0].astype(bool) == content_sky) > 0.98
    assert segments.style.shape == (2, 36, 48)

"""--content_segmentation / --style_segmentation: Luan et al.'s nine colours, classes by colour."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.images import segmentation
from nst_tf.images.segmentation import COLORS, color_masks, load_segments


def _labels(*rgbs) -> np.ndarray:
    return np.asarray([rgbs], np.float64) / 255.0


def test_each_of_the_nine_colours_is_its_class_and_only_its():
    masks = color_masks(_labels(*COLORS.values()))
    for index, name in enumerate(COLORS):
        assert list(np.flatnonzero(masks[name][0])) == [index], name


@pytest.mark.parametrize(
    ("rgb", "color"),
    [
        ((20, 10, 240), "blue"),  # JPEG-like drift inside the 0.1 margins
        ((25, 25, 25), "black"),  # 0.098 < 0.1
        ((26, 0, 0), None),  # 0.102: not black, not red
        ((230, 230, 230), "white"),  # 0.902 > 0.9
        ((229, 255, 255), None),  # 0.898: neither white nor lightblue
        ((110, 140, 120), "grey"),  # every channel within (0.4, 0.6)
        ((100, 128, 128), None),  # 0.392: too dark for grey
        ((255, 0, 200), None),  # purple needs blue > 0.9
    ],
)
def test_thresholds_are_luans(rgb, color):
    found = [name for name, mask in color_masks(_labels(rgb)).items() if mask[0, 0]]
    assert found == ([color] if color else [])


def _write(path, regions: dict[str, tuple[slice, slice]], shape=(30, 40), fill=(0, 0, 0)):
    pixels = np.empty((*shape, 3), np.uint8)
    pixels[...] = fill
    for name, where in regions.items():
        pixels[where] = COLORS[name]
    iio.imwrite(path, pixels)
    return str(path)


TOP, BOTTOM = (slice(0, 12), slice(None)), (slice(12, None), slice(None))
SIZES = ((40, 30), (40, 30))


def test_classes_are_matched_by_colour_in_the_contents_order(tmp_path):
    content = _write(tmp_path / "c.png", {"blue": TOP, "white": BOTTOM})
    rows = {"white": (slice(0, 20), slice(None)), "blue": (slice(20, None), slice(None))}
    style = _write(tmp_path / "s.png", rows)
    segments = load_segments(content, style, SIZES, SIZES)
    assert segments.colors == ("blue", "white")  # their color_codes order
    assert segments.content.shape == segments.style.shape == (2, 30, 40)
    assert segments.content.dtype == np.float32
    np.testing.assert_array_equal(segments.content[0, :12], 1.0)
    np.testing.assert_array_equal(segments.content[0, 12:], 0.0)
    np.testing.assert_array_equal(segments.style[1, :20], 1.0)  # the style's own white region
    np.testing.assert_array_equal(segments.style[0, :20], 0.0)


def test_a_content_class_the_style_lacks_is_refused_in_one_line(tmp_path):
    content = _write(tmp_path / "c.png", {"blue": TOP, "red": BOTTOM})
    style = _write(tmp_path / "s.png", {"blue": TOP, "white": BOTTOM})
    with pytest.raises(UserError) as info:
        load_segments(content, style, SIZES, SIZES)
    message = str(info.value)
    assert "\n" not in message
    assert f"--content_segmentation {content} has class red" in message
    assert f"--style_segmentation {style} lacks" in message
    assert "recolour them to a colour the style has (blue, white)" in message


def test_a_style_class_the_content_lacks_is_dropped_with_one_warning(tmp_path, caplog):
    content = _write(tmp_path / "c.png", {"blue": TOP, "white": BOTTOM})
    style = _write(tmp_path / "s.png", {"blue": TOP, "white": BOTTOM, "green": (slice(0, 3),) * 2})
    with caplog.at_level("WARNING"):
        segments = load_segments(content, style, SIZES, SIZES)
    assert segments.colors == ("blue", "white")
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        f"--style_segmentation {style} has class green that the content lacks; "
        "that style is not used"
    ]


def test_pixels_of_no_class_are_warned_about_once_per_file(tmp_path, caplog):
    # The fill (70, 70, 70) is no colour of the nine: 60% of the content, none of the style.
    content = _write(tmp_path / "c.png", {"blue": TOP}, fill=(70, 70, 70))
    style = _write(tmp_path / "s.png", {"blue": TOP, "white": BOTTOM})
    with caplog.at_level("WARNING"):
        segments = load_segments(content, style, SIZES, SIZES)
    assert segments.colors == ("blue",)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2  # the unknown pixels, then the style's white that is not used
    assert lines[0].startswith(f"--content_segmentation {content}: 60.0% of its pixels match none")
    assert "feel no style cost" in lines[0]


def test_a_content_segmentation_of_no_known_colour_is_refused(tmp_path):
    content = _write(tmp_path / "c.png", {}, fill=(70, 70, 70))
    style = _write(tmp_path / "s.png", {"blue": TOP})
    with pytest.raises(UserError, match="has no pixel of any of the nine colours"):
        load_segments(content, style, SIZES, SIZES)


def test_another_size_is_resized_with_a_line_and_another_aspect_refused(tmp_path, caplog):
    rows = {"blue": (slice(0, 25), slice(None)), "white": (slice(25, None), slice(None))}
    content = _write(tmp_path / "c.png", rows, shape=(60, 80))
    style = _write(tmp_path / "s.png", {"blue": TOP, "white": BOTTOM})
    with caplog.at_level("INFO"):
        segments = load_segments(content, style, ((400, 300), (40, 30)), SIZES)
    assert f"Resizing --content_segmentation {content} from 80x60 to 40x30" in caplog.text
    assert segments.content.shape == (2, 30, 40)
    # Bilinear, then thresholded, as their image.scale and ExtractMask: row 12 samples rows 24
    # (blue) and 25 (white) half and half, and is in neither class.
    assert segments.content[0, :12].all() and segments.content[1, 13:].all()
    assert not segments.content[:, 12].any()
    square = _write(tmp_path / "square.png", {"blue": TOP}, shape=(40, 40))
    with pytest.raises(UserError) as info:
        load_segments(content, square, SIZES, SIZES)
    assert "\n" not in str(info.value)
    assert f"--style_segmentation {square} is 40x40 (aspect 1.000) but the style image is " in (
        str(info.value)
    )


def test_segments_resize_for_a_coarser_scale_without_losing_a_class():
    masks = np.zeros((2, 30, 40), np.float32)
    masks[0, :1] = 1.0  # one row: a thin class
    masks[1, 1:] = 1.0
    segments = segmentation.Segments(("blue", "white"), masks, masks[:, :15, :20])
    smaller = segments.resized((10, 8), (5, 4))
    assert smaller.content.shape == (2, 8, 10) and smaller.style.shape == (2, 4, 5)
    assert smaller.content[0].sum() > 0 and smaller.style[0].sum() > 0
    assert smaller.content.min() >= 0.0 and smaller.content.max() <= 1.0

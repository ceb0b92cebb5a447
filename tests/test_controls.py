"""The paper's controls end to end on the tiny net: sizes, blends, colours, regions."""

from __future__ import annotations

import csv

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf

from nst_tf import build, config, stylize
from nst_tf.errors import UserError
from nst_tf.images import color
from nst_tf.images.io import load_image, normalize, save_image
from nst_tf.objective import losses, regions
from nst_tf.weights import matconvnet
from tests.helpers import paper_config, run_cli, smooth_image, tiny_config


def _trace(path):
    with open(path, newline="") as handle:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def second_style(tmp_path_factory):
    """A style unlike the fixtures' smooth one: a saturated 2-pixel red/green checkerboard."""
    y, x = np.mgrid[0:30, 0:40]
    board = ((x // 2 + y // 2) % 2).astype(bool)
    pixels = np.zeros((30, 40, 3), np.uint8)
    pixels[board] = (230, 20, 20)
    pixels[~board] = (20, 200, 40)
    path = str(tmp_path_factory.mktemp("styles") / "checker.png")
    save_image(path, pixels)
    return path


def test_blend_weights_1_0_give_exactly_the_single_style_trace(
    tiny_vgg_path, tiny_images, second_style, tmp_path
):
    content, style = tiny_images
    base = [f"--content={content}", f"--vgg_path={tiny_vgg_path}", "--width=40", "--height=30"]
    base += ["--num_iterations=4", "--log_every=1", "--notensorboard"]
    single = run_cli(*base, f"--style={style}", f"--output_dir={tmp_path / 'a'}")
    blend = run_cli(
        *base,
        f"--style={style},{second_style}",
        "--style_blend_weights=1,0",
        f"--output_dir={tmp_path / 'ab'}",
    )
    assert single.returncode == 0 and blend.returncode == 0, blend.stderr
    assert _trace(tmp_path / "a" / "trace.csv") == _trace(tmp_path / "ab" / "trace.csv")


def test_blend_moves_the_style_cost_between_the_two_styles(
    tiny_vgg_path, tiny_images, second_style, tmp_path
):
    content, style = tiny_images
    styles = f"{style},{second_style}"
    costs = [
        stylize.stylize(
            tiny_config(
                tiny_vgg_path,
                (content, styles),
                tmp_path / str(w),
                num_iterations=1,
                style_blend_weights=(1 - w, w),
            )
        ).trace[0]["style_cost"]
        for w in (0.0, 0.5, 1.0)
    ]
    assert len(set(costs)) == 3  # the blend is a third target, not either end


def test_image_size_keeps_the_aspect_and_style_scale_sizes_the_style(tmp_path, tiny_vgg_path):
    content, style = str(tmp_path / "c.png"), str(tmp_path / "s.png")
    save_image(content, smooth_image(60, 40, seed=1))  # 3:2 landscape
    save_image(style, smooth_image(30, 45, seed=2))  # 2:3 portrait
    cfg = paper_config(
        content=content,
        style=style,
        vgg_path=tiny_vgg_path,
        output_dir=str(tmp_path),
        image_size=30,
        style_scale=2.0,
        num_iterations=2,
        tensorboard=False,
    )
    inputs = build.load_inputs(cfg)
    assert inputs.content.shape == (20, 30, 3)
    assert inputs.styles[0].shape == (60, 40, 3)  # long side 2 x 30, its own aspect
    forced = build.load_inputs(tiny_config(tiny_vgg_path, (content, style), tmp_path))
    assert forced.content.shape == forced.styles[0].shape == (30, 40, 3)  # the paper's way
    result = stylize.stylize(cfg)
    assert result.image.shape == (20, 30, 3) and np.isfinite(result.trace[-1]["total_cost"])


def test_size_settings_from_command_line_and_config_file():
    table = config.load_config_table("paper")
    with pytest.raises(UserError, match="--image_size and --width both set the size"):
        config.make_config(table, {"image_size": 200, "width": 100})
    both = config.make_config({**table, "image_size": 200})  # a config file with both
    assert both.image_size == 200
    exact = config.make_config({**table, "image_size": 200}, {"height": 50})
    assert exact.image_size is None and exact.height == 50  # the command line wins


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"style_blend_weights": (1.0,)}, "has 1 weights for 2 --style images"),
        ({"style_blend_weights": (0.0, 0.0)}, "positive sum"),
        ({"style_masks": "m.png"}, "has 1 masks for 2 --style images"),
        ({"style_masks": "m.png,n.png", "style_blend_weights": (1.0, 1.0)}, "give one of them"),
        ({"image_size": 0}, "--image_size must be a positive integer"),
        ({"style_scale": -1.0}, "--style_scale must be positive"),
    ],
)
def test_bad_control_settings_are_one_line_errors(overrides, expected):
    with pytest.raises(UserError, match=expected):
        paper_config(style="a.jpg,b.jpg", **overrides)


def test_bad_masks_end_with_one_line(tiny_vgg_path, tiny_images, second_style, tmp_path):
    content, style = tiny_images
    black, text = tmp_path / "black.png", tmp_path / "mask.png.txt"
    save_image(str(black), np.zeros((30, 40, 3), np.uint8))
    text.write_text("not an image")
    base = [f"--content={content}", f"--style={style},{second_style}"]
    base += [f"--vgg_path={tiny_vgg_path}", f"--output_dir={tmp_path / 'out'}"]
    result = run_cli(*base, f"--style_masks={black},{black}")
    assert result.stderr.strip().splitlines()[-1] == (
        f"nst-tf: error: style mask {black} is black everywhere, so its style would go "
        "nowhere: paint its region white"
    )
    cfg = tiny_config(tiny_vgg_path, (content, f"{style},{second_style}"), tmp_path)
    for masks, expected in (
        (f"{text},{black}", "style mask .* could not be read as an image"),
        (f"{tmp_path / 'none.png'},{black}", "style mask image not found"),
    ):
        with pytest.raises(UserError, match=expected):
            build.load_inputs(config.Config(**{**cfg.to_dict(), "style_masks": masks}))


def test_luminance_output_keeps_the_contents_chroma(tiny_vgg_path, tiny_images, tmp_path):
    content, _ = tiny_images
    cfg = tiny_config(
        tiny_vgg_path, tiny_images, tmp_path, preserve_colors="luminance", save_every=2
    )
    result = stylize.stylize(cfg)
    content_pixels = load_image(content, 40, 30)
    for pixels in (result.image, iio.imread(tmp_path / "2.png")):
        inside = np.all((pixels > 0) & (pixels < 255), axis=-1)
        assert inside.mean() > 0.9
        chroma = color.rgb_to_yiq(pixels)[inside][:, 1:]
        np.testing.assert_allclose(
            chroma, color.rgb_to_yiq(content_pixels)[inside][:, 1:], atol=0.61
        )
    assert iio.imread(tmp_path / "generated_image.jpg").shape == (30, 40, 3)


def test_histogram_run_sees_the_recoloured_style(tiny_vgg_path, tiny_images, tmp_path):
    plain = stylize.stylize(
        tiny_config(tiny_vgg_path, tiny_images, tmp_path / "p", num_iterations=1)
    )
    matched = stylize.stylize(
        tiny_config(
            tiny_vgg_path,
            tiny_images,
            tmp_path / "h",
            num_iterations=1,
            preserve_colors="histogram",
        )
    )
    # Same content, same start: only the style target differs (its colours, so its Grams).
    assert matched.trace[0]["style_cost"] != plain.trace[0]["style_cost"]
    assert matched.trace[0]["content_cost"] == pytest.approx(plain.trace[0]["content_cost"], 0.1)


def test_two_regions_each_take_their_own_style(tiny_vgg_path, tiny_images, second_style, tmp_path):
    content, style = tiny_images
    left = np.zeros((30, 40, 3), np.uint8)
    left[:, :20] = 255
    masks = str(tmp_path / "left.png"), str(tmp_path / "right.png")
    save_image(masks[0], left)
    save_image(masks[1], 255 - left)
    cfg = tiny_config(
        tiny_vgg_path,
        (content, f"{style},{second_style}"),
        tmp_path / "out",
        style_masks=",".join(masks),
        num_iterations=60,
        log_every=59,
    )
    result = stylize.stylize(cfg)
    assert result.trace[-1]["style_cost"] < result.trace[0]["style_cost"] / 5
    # side_by_side.png shows every style and mask: content | 2 styles | 2 masks | result.
    assert iio.imread(tmp_path / "out" / "side_by_side.png").shape == (30, 6 * 40 + 5 * 8, 3)
    names = ["conv1_1", "conv2_1", "conv3_1"]
    extractor = matconvnet.load_vgg_model(tiny_vgg_path, layers=names)

    def features(pixels):
        return extractor(tf.constant(normalize(pixels)))

    generated = features(result.image)
    style_grams = [
        features(load_image(path, 40, 30)) for path in (style, second_style)
    ]  # same size as the generated image: no rescaling
    for region, own in ((left[..., 0] / 255.0, 0), (1 - left[..., 0] / 255.0, 1)):
        layer_masks = regions.layer_masks(region, names, "avg")
        distance = [0.0, 0.0]
        for name in names:
            gram = regions.masked_gram(generated[name], layer_masks[name])[0]
            for index, style_features in enumerate(style_grams):
                target = losses.activation_gram(style_features[name])[0]
                distance[index] += float(tf.norm(gram - target) / tf.norm(target))
        assert distance[own] < distance[1 - own], (own, distance)


def test_helpfull_lists_the_controls():
    result = run_cli("--helpfull")
    for flag in (
        "image_size",
        "style_scale",
        "style_blend_weights",
        "style_masks",
        "preserve_colors",
        "color_match",
    ):
        assert f"--{flag}:" in result.stdout, flag

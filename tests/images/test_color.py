"""--preserve_colors: YIQ round trip, luminance matching, chroma kept, histogram matching."""

from __future__ import annotations

import numpy as np
import pytest

from nst_tf.images import color
from tests.helpers import smooth_image


def _mean_cov(pixels):
    flat = np.asarray(pixels, np.float64).reshape(-1, 3)
    return flat.mean(axis=0), np.cov(flat, rowvar=False, bias=True)


def test_yiq_round_trip_and_grey_has_no_chroma():
    pixels = smooth_image(9, 7, seed=2).astype(np.float64)
    np.testing.assert_allclose(color.yiq_to_rgb(color.rgb_to_yiq(pixels)), pixels, atol=1e-9)
    grey = color.luminance_image(pixels)
    assert np.array_equal(grey[..., 0], grey[..., 2])
    np.testing.assert_allclose(color.rgb_to_yiq(grey)[..., 1:], 0.0, atol=1e-9)
    np.testing.assert_allclose(color.rgb_to_yiq(grey)[..., 0], color.rgb_to_yiq(pixels)[..., 0])


def test_style_luminance_takes_the_contents_mean_and_std():
    content, style = smooth_image(20, 15, seed=1), smooth_image(30, 20, seed=5) // 3
    matched = color.rgb_to_yiq(color.luminance_image(style, like=content))[..., 0]
    target = color.rgb_to_yiq(content)[..., 0]
    assert matched.mean() == pytest.approx(target.mean(), abs=1e-6)
    assert matched.std() == pytest.approx(target.std(), rel=1e-6)


def test_output_has_the_generated_luminance_and_the_contents_chroma():
    content = smooth_image(20, 15, seed=1)
    generated = smooth_image(20, 15, seed=9).astype(np.float64)
    out = color.with_chroma_of(generated, content)
    assert out.dtype == np.uint8 and out.shape == content.shape
    inside = np.all((out > 0) & (out < 255), axis=-1)  # clipping may change chroma, rounding not
    assert inside.mean() > 0.5
    yiq_out, yiq_content = color.rgb_to_yiq(out), color.rgb_to_yiq(content)
    # Rounding each channel by <= 0.5 moves I or Q by <= 0.5 * (sum of |row|) < 0.61.
    np.testing.assert_allclose(yiq_out[inside][:, 1:], yiq_content[inside][:, 1:], atol=0.61)
    np.testing.assert_allclose(
        yiq_out[inside][:, 0], color.rgb_to_yiq(generated)[inside][:, 0], atol=0.5
    )


@pytest.mark.parametrize("method", color.COLOR_MATCHES)
def test_matched_style_has_the_contents_mean_and_covariance(method):
    content = smooth_image(40, 30, seed=1)
    style = smooth_image(50, 20, seed=6)[..., ::-1] // 2  # other colours, size and brightness
    matched = color.match_colors(style, content, method)
    assert matched.shape == style.shape
    mean, cov = _mean_cov(matched)
    content_mean, content_cov = _mean_cov(content)
    np.testing.assert_allclose(mean, content_mean, atol=1e-3)
    np.testing.assert_allclose(cov, content_cov, atol=1e-3)
    assert not np.allclose(_mean_cov(style)[1], content_cov, atol=1.0)  # it had to change


def test_the_three_square_roots_differ_only_by_where_colours_go():
    content, style = smooth_image(40, 30, seed=1), smooth_image(40, 30, seed=6)
    pca, chol, sym = (color.match_colors(style, content, m) for m in ("pca", "chol", "sym"))
    assert not np.allclose(pca, chol, atol=1.0) and not np.allclose(pca, sym, atol=1e-3)


def test_none_gives_the_network_the_very_same_arrays():
    content, style = smooth_image(8, 6, seed=1), smooth_image(8, 6, seed=2)
    got_content, got_styles = color.network_images(content, [style], "none", "pca")
    assert got_content is content and got_styles[0] is style

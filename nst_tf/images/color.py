"""Colour control (Gatys et al. 2017, "Controlling Perceptual Factors", section 5): keep the
content's colours while the style supplies the texture.

`luminance` transfers style in luminance only: both images are reduced to the Y of YIQ (the NTSC
transform; chosen over YUV because its chroma axes I, Q are the ones Gatys et al. used), the
style's Y is shifted and scaled to the content's mean and standard deviation (so the content
keeps its brightness), the optimisation runs on Y replicated to RGB, and each output is the
generated Y with the content's I, Q. `histogram` instead recolours the style image before the
transfer: an affine map x -> A (x - mu_S) + mu_C gives it the content's RGB mean and covariance;
A is one of three matrix square roots (see `match_colors`).

Everything here is NumPy on [H, W, 3] pixels in 0..255, so it runs once, outside the step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PRESERVE_COLORS = ("none", "luminance", "histogram")
COLOR_MATCHES = ("pca", "chol", "sym")

# NTSC RGB -> YIQ (rows Y, I, Q). The I and Q rows sum to zero, so grey (Y, Y, Y) has no chroma.
RGB_TO_YIQ = np.array(
    [[0.299, 0.587, 0.114], [0.5959, -0.2746, -0.3213], [0.2115, -0.5227, 0.3112]]
)
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)
# Eigenvalues are floored here before a root is inverted: a grey image's covariance is singular.
_EIGENVALUE_FLOOR = 1e-9


def rgb_to_yiq(pixels: np.ndarray) -> np.ndarray:
    return np.asarray(pixels, np.float64) @ RGB_TO_YIQ.T


def yiq_to_rgb(yiq: np.ndarray) -> np.ndarray:
    return np.asarray(yiq, np.float64) @ YIQ_TO_RGB.T


def luminance_image(pixels: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """Y of `pixels` replicated to 3 channels; with `like`, Y's mean and std matched to like's Y."""
    y = rgb_to_yiq(pixels)[..., 0]
    if like is not None:
        target = rgb_to_yiq(like)[..., 0]
        y = (y - y.mean()) * (target.std() / max(y.std(), 1e-6)) + target.mean()
    return np.repeat(y[..., np.newaxis], 3, axis=-1)


def with_chroma_of(generated: np.ndarray, content: np.ndarray) -> np.ndarray:
    """uint8 RGB with generated's luminance and content's I, Q (equal up to rounding, clipping)."""
    yiq = rgb_to_yiq(content)
    yiq[..., 0] = rgb_to_yiq(generated)[..., 0]
    return np.clip(np.round(yiq_to_rgb(yiq)), 0, 255).astype(np.uint8)


def _sqrtm(matrix: np.ndarray, power: float = 0.5) -> np.ndarray:
    """Symmetric power of a symmetric positive definite matrix, via its eigendecomposition."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.maximum(values, _EIGENVALUE_FLOOR) ** power) @ vectors.T


def _mean_cov(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flat = np.asarray(pixels, np.float64).reshape(-1, 3)
    return flat.mean(axis=0), np.cov(flat, rowvar=False, bias=True)


def match_colors(style: np.ndarray, content: np.ndarray, method: str = "pca") -> np.ndarray:
    """The style's pixels mapped to the content's RGB mean and covariance (float, not clipped).

    Any A with A Sigma_S A^T = Sigma_C does it; they differ by a rotation, i.e. in which colours
    go where. `pca`: A = Sigma_C^1/2 Sigma_S^-1/2 with symmetric roots, the "image analogies"
    transfer Gatys et al. 2017 use, so the default here. `chol`: A = L_C L_S^-1 with Cholesky
    factors. `sym`: the symmetric A = Sigma_S^-1/2 (Sigma_S^1/2 Sigma_C Sigma_S^1/2)^1/2
    Sigma_S^-1/2, the map that moves colours least (Monge-Kantorovich, Pitie & Kokaram 2007).
    """
    mu_s, cov_s = _mean_cov(style)
    mu_c, cov_c = _mean_cov(content)
    if method == "pca":
        A = _sqrtm(cov_c) @ _sqrtm(cov_s, -0.5)
    elif method == "chol":
        floor = _EIGENVALUE_FLOOR * np.eye(3)
        A = np.linalg.cholesky(cov_c + floor) @ np.linalg.inv(np.linalg.cholesky(cov_s + floor))
    elif method == "sym":
        root, inverse_root = _sqrtm(cov_s), _sqrtm(cov_s, -0.5)
        A = inverse_root @ _sqrtm(root @ cov_c @ root) @ inverse_root
    else:
        raise ValueError(f"unknown colour match {method!r}: use one of {COLOR_MATCHES}")
    return (np.asarray(style, np.float64) - mu_s) @ A.T + mu_c


def network_images(
    content: np.ndarray, styles: Sequence[np.ndarray], mode: str, method: str
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The content and style pixels the network sees under --preserve_colors=mode.

    `none` returns the inputs themselves, so the paper's run sees exactly the same arrays.
    """
    if mode == "none":
        return content, list(styles)
    if mode == "luminance":
        return luminance_image(content), [luminance_image(style, content) for style in styles]
    if mode == "histogram":
        return content, [match_colors(style, content, method) for style in styles]
    raise ValueError(f"unknown --preserve_colors {mode!r}: use one of {PRESERVE_COLORS}")

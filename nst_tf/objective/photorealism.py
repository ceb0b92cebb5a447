"""The matting Laplacian of Levin, Lischinski, Weiss (2008), for Luan et al.'s photorealism term.

Luan et al. (Deep Photo Style Transfer, CVPR 2017) keep a stylised photograph photorealistic by
asking each colour channel V_c of the output to be a locally affine function of the input's
colours: the energy sum_c V_c^T L V_c, with L the closed-form matting Laplacian of the input.
Their code builds L with Levin et al.'s `getLaplacian1.m` in Matlab, which took hours per image
for some of their users (luanfujun/deep-photo-styletransfer issues #1, #4, #20); here every
window is done at once with NumPy, in seconds (docs/performance.md).

For each (2r+1) x (2r+1) window w lying fully inside the image (getLaplacian1.m L29-30: no
windows across the border), with I_w its n = (2r+1)^2 pixels' colours, mu_w their mean and
Sigma_w their covariance,

    A_ij += (1 + (I_i - mu_w)^T (Sigma_w + eps/n Id)^-1 (I_j - mu_w)) / n   for i, j in w,

and L = D - A with D the diagonal of A's row sums (L57-59): symmetric, positive semi-definite,
every row summing to zero, so a constant image costs nothing.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

# Windows done per NumPy pass: 16k windows keep the [windows, n, n] float64 values at 10 MiB
# for radius 1, so a large image is not held as 81 values per pixel at once.
_WINDOWS_PER_PASS = 1 << 14


def matting_laplacian(
    image: np.ndarray, eps: float = 1e-7, radius: int = 1
) -> scipy.sparse.csr_matrix:
    """Levin et al.'s matting Laplacian of a float [H, W, 3] image in [0, 1].

    Returns L as a [H W, H W] CSR matrix, pixels in row-major order (index y W + x). Luan et
    al. use eps = 1e-7 and 3x3 windows (radius 1) on the input photograph
    (gen_laplacian/gen_laplacian.m L20).
    """
    image = np.asarray(image, np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an [H, W, 3] image, got shape {image.shape}")
    height, width, _ = image.shape
    side = 2 * radius + 1
    n = side * side
    # affinity[dy, dx, y, x]: A between pixel (y, x) and pixel (y + dy - 2r, x + dx - 2r).
    affinity = np.zeros((2 * side - 1, 2 * side - 1, height, width))
    rows, cols = height - side + 1, width - side + 1  # windows, by their top-left corner
    offsets = [divmod(index, side) for index in range(n)]  # each window pixel's (dy, dx)
    step = max(1, _WINDOWS_PER_PASS // max(cols, 1))
    for top in range(0, max(rows, 0), step):
        bottom = min(top + step, rows)
        colours = np.stack(
            [image[top + dy : bottom + dy, dx : dx + cols] for dy, dx in offsets], axis=2
        )  # [window rows, cols, n, 3]
        values = _window_affinities(colours.reshape(-1, n, 3), eps)
        values = values.reshape(bottom - top, cols, n, n)
        for a, (ay, ax) in enumerate(offsets):
            for b, (by, bx) in enumerate(offsets):
                affinity[by - ay + side - 1, bx - ax + side - 1][
                    top + ay : bottom + ay, ax : ax + cols
                ] += values[:, :, a, b]
    return _laplacian_from_affinity(affinity)


def _window_affinities(colours: np.ndarray, eps: float) -> np.ndarray:
    """getLaplacian1.m L36-42 for every window at once: [windows, n, 3] -> [windows, n, n]."""
    n = colours.shape[1]
    centred = colours - colours.mean(axis=1, keepdims=True)
    covariance = np.einsum("wic,wid->wcd", centred, centred) / n
    inverse = np.linalg.inv(covariance + (eps / n) * np.eye(3))
    return (1.0 + np.einsum("wic,wcd,wjd->wij", centred, inverse, centred)) / n


def _laplacian_from_affinity(affinity: np.ndarray) -> scipy.sparse.csr_matrix:
    """L = D - A from A's (2 side - 1)^2 diagonals, dropping the pairs no window holds."""
    offsets, _, height, width = affinity.shape
    reach = offsets // 2
    pixels = np.arange(height * width).reshape(height, width)
    rows, cols, values = [pixels.ravel()], [pixels.ravel()], [affinity.sum(axis=(0, 1)).ravel()]
    for dy in range(offsets):
        for dx in range(offsets):
            block = affinity[dy, dx]
            held = block != 0
            rows.append(pixels[held])
            cols.append(pixels[held] + (dy - reach) * width + (dx - reach))
            values.append(-block[held])
    laplacian = scipy.sparse.coo_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(height * width, height * width),
    ).tocsr()  # sums the diagonal's two parts
    laplacian.eliminate_zeros()  # the degrees of pixels no window holds
    laplacian.sort_indices()
    return laplacian

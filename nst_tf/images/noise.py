"""The start of the optimisation: the paper's noisy start (step 3, Figure 4) and the others.

`--init` names it: `noise` is the paper's (uniform noise blended with the content image),
`content` the content image itself, `random` white noise alone (Gatys et al. 2016 start from
it), anything else a path to an image, which the caller reads at the working size.
"""

from __future__ import annotations

import numpy as np

INITS = ("noise", "content", "random")


def generate_noise_image(
    content: np.ndarray, noise_ratio: float = 0.6, seed: int = 0, noise_range: float = 20.0
) -> np.ndarray:
    """noise_ratio * uniform(-20, 20) + (1 - noise_ratio) * content, reproducible by seed."""
    noise = np.random.RandomState(seed).uniform(-noise_range, noise_range, content.shape)
    return (noise_ratio * noise + (1.0 - noise_ratio) * content).astype(np.float32)


def initial_image(
    init: str,
    content: np.ndarray,
    seed: int = 0,
    noise_ratio: float = 0.6,
    noise_range: float = 20.0,
    image: np.ndarray | None = None,
) -> np.ndarray:
    """The normalized [1, H, W, 3] start `init` names; `image` is a path's, already read."""
    if init == "noise":
        return generate_noise_image(content, noise_ratio, seed, noise_range)
    if init == "random":  # the same draw as noise_ratio 1: 1 x noise + 0 x content
        return generate_noise_image(content, 1.0, seed, noise_range)
    if init == "content":
        return np.array(content, np.float32)
    if image is None:
        raise ValueError(f"--init={init} names an image file; pass it read, as `image`")
    return np.array(image, np.float32)

"""The paper's noisy start (step 3, Figure 4): uniform noise blended with the content image."""

from __future__ import annotations

import numpy as np


def generate_noise_image(
    content: np.ndarray, noise_ratio: float = 0.6, seed: int = 0, noise_range: float = 20.0
) -> np.ndarray:
    """noise_ratio * uniform(-20, 20) + (1 - noise_ratio) * content, reproducible by seed."""
    noise = np.random.RandomState(seed).uniform(-noise_range, noise_range, content.shape)
    return (noise_ratio * noise + (1.0 - noise_ratio) * content).astype(np.float32)

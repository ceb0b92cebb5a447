"""The training photos: found in a folder or glob, decoded once in parallel, kept in memory.

Decoding a JPEG costs more than the crop that training takes from it, and a small set (the
registries' two dozen photos) is read thousands of times, so every photo is decoded once by a
parallel tf.data map, resized so its short side is `photo_size` (crops are taken from that),
and kept as uint8 in memory: the decoded-photo cache. A photo that does not decode (truncated,
not an image) is skipped with a warning naming it, and counted; none readable is one line.
The memory the cache needs is checked as it fills, so a set too large for this machine stops
with the setting to lower instead of an out-of-memory kill.
"""

from __future__ import annotations

import glob
import os

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf.errors import UserError
from nst_tf.runtime import memory

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")  # what tf.io.decode_image reads
MEMORY_SHARE = 0.5  # of the memory available, at most, for the cache


def find_photos(spec: str) -> list[str]:
    """A folder (searched recursively) or a glob (`**` recursive) -> image files, sorted.

    Sorted, so that a seed gives the same photo order on every machine.
    """
    if os.path.isdir(spec):
        paths = [
            os.path.join(root, name)
            for root, _, names in os.walk(spec)
            for name in names
            if not name.startswith(".")
        ]
    elif not glob.has_magic(spec) and not os.path.exists(spec):
        raise UserError(f"--train_images: {spec} not found; pass a folder or a glob of photos")
    else:
        paths = glob.glob(spec, recursive=True)
    photos = sorted(path for path in paths if path.lower().endswith(EXTENSIONS))
    if not photos:
        where = f"folder {spec}" if os.path.isdir(spec) else f"glob {spec!r}"
        raise UserError(
            f"--train_images: the {where} holds no {'/'.join(e[1:] for e in EXTENSIONS)} photos; "
            "pass a folder or glob of photos (nst-tf-fetch --training_photos gathers some)"
        )
    return photos


def _short_side_to(pixels: tf.Tensor, size: int) -> tf.Tensor:
    """uint8 [h, w, 3] -> uint8 with its short side `size`, aspect kept (antialiased)."""
    shape = tf.cast(tf.shape(pixels)[:2], tf.float32)
    scale = size / tf.reduce_min(shape)
    target = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), size)
    resized = tf.image.resize(tf.cast(pixels, tf.float32), target, antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)


def decode_photos(paths: list[str], photo_size: int) -> tuple[list[np.ndarray], list[str]]:
    """(the readable photos, short side `photo_size`, in `paths` order; their paths).

    Decoding runs in parallel (tf.data, order kept); unreadable files are dropped and named.
    """

    def load(index: tf.Tensor, path: tf.Tensor):
        pixels = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return index, _short_side_to(pixels, photo_size)

    dataset = (
        tf.data.Dataset.from_tensor_slices((np.arange(len(paths)), paths))
        .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
    )
    budget = MEMORY_SHARE * memory.available_bytes()
    photos, kept, used = [], [], 0
    for index, pixels in dataset.as_numpy_iterator():
        used += pixels.nbytes
        if used > budget:
            raise UserError(
                f"the decoded training photos need more than {budget / 2**30:.1f} GiB (half the "
                f"memory available) at --photo_size={photo_size}; lower --photo_size or pass "
                "fewer photos"
            )
        photos.append(pixels)
        kept.append(paths[int(index)])
    skipped = sorted(set(paths) - set(kept))
    for path in skipped:
        logging.warning("Skipping %s: not a readable JPEG, PNG, BMP or GIF", path)
    if not photos:
        raise UserError(
            f"none of the {len(paths)} training photos could be read (e.g. {paths[0]}); pass "
            "JPEG, PNG, BMP or GIF photos"
        )
    if skipped:
        logging.warning("Skipped %d of %d training photos (unreadable)", len(skipped), len(paths))
    return photos, kept

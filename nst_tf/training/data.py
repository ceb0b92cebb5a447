"""The training stream: sample g of the run is a pure function of (seed, g).

Photo order, crop, flip and style of every sample are drawn from generators keyed on the seed
and the sample's global index g = step x batch_size + position, never from a generator that
advances with the run. So a run resumed at step k continues with exactly the samples an
uninterrupted run would have seen, without saving any iterator state, and the samples of a step
are the same however many devices share it (each replica takes its own slice of g's).

Epoch e visits every photo once, in a permutation drawn from (seed, e): a seeded shuffle
without a buffer. A crop is a random square of side in [image_size, photo_size] (the cached
photos' short side), resized to image_size: multi-scale crops, which make up for a small set of
photos, and plain random crops when photo_size == image_size; half the crops are mirrored. The
cheap choices are made in NumPy; the resize and flip run in a parallel tf.data map, prefetched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow as tf

_ORDER, _SAMPLE = 0, 1  # generator streams: epoch permutations, per-sample choices


class SampleStream:
    """Samples (crop uint8 [c, c, 3], mirrored, style slot) by global index."""

    def __init__(
        self, photos: Sequence[np.ndarray], image_size: int, seed: int, slots: Sequence[int]
    ):
        self.photos = list(photos)
        self.image_size = image_size
        self.seed = seed
        self.slots = np.asarray(slots, np.int32)
        self._epoch: tuple[int, np.ndarray] | None = None

    def _order(self, epoch: int) -> np.ndarray:
        if self._epoch is None or self._epoch[0] != epoch:
            rng = np.random.default_rng([self.seed, _ORDER, epoch])
            self._epoch = (epoch, rng.permutation(len(self.photos)))
        return self._epoch[1]

    def sample(self, index: int) -> tuple[np.ndarray, bool, int]:
        epoch, position = divmod(index, len(self.photos))
        photo = self.photos[self._order(epoch)[position]]
        rng = np.random.default_rng([self.seed, _SAMPLE, index])
        height, width = photo.shape[:2]
        side = int(rng.integers(self.image_size, min(height, width) + 1))
        top = int(rng.integers(0, height - side + 1))
        left = int(rng.integers(0, width - side + 1))
        mirrored = bool(rng.random() < 0.5)
        slot = int(self.slots[rng.integers(len(self.slots))])
        return photo[top : top + side, left : left + side], mirrored, slot


def sample_indices(
    step: int, batch_size: int, per_replica: int, replica_ids: Sequence[int]
) -> list[int]:
    """The global sample indices of `step` that these replicas (global ids) take, in order."""
    return [
        step * batch_size + replica * per_replica + position
        for replica in replica_ids
        for position in range(per_replica)
    ]


def training_dataset(
    stream: SampleStream,
    steps: range,
    batch_size: int,
    per_replica: int,
    replica_ids: Sequence[int],
) -> tf.data.Dataset:
    """One element per step of `steps`: (photos float32 [n, S, S, 3] in 0..255, slots [n]),
    n = per_replica x len(replica_ids), this worker's replicas' samples in replica order."""
    size = stream.image_size

    def generate() -> Iterator[tuple[np.ndarray, bool, int]]:
        for step in steps:
            for index in sample_indices(step, batch_size, per_replica, replica_ids):
                yield stream.sample(index)

    def finish(crop: tf.Tensor, mirrored: tf.Tensor, slot: tf.Tensor):
        image = tf.image.resize(tf.cast(crop, tf.float32), [size, size], antialias=True)
        image = tf.cond(mirrored, lambda: tf.reverse(image, axis=[1]), lambda: image)
        return tf.ensure_shape(image, [size, size, 3]), slot

    signature = (
        tf.TensorSpec([None, None, 3], tf.uint8),
        tf.TensorSpec([], tf.bool),
        tf.TensorSpec([], tf.int32),
    )
    return (
        tf.data.Dataset.from_generator(generate, output_signature=signature)
        .map(finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(per_replica * len(replica_ids), drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )

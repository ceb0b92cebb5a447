"""Several jobs optimised together: one [n, H, W, 3] image per device, each job its own Adam.

The objective reduces every cost per image, so the forward and backward pass of a stack of n
images is one VGG pass whose gradient, sliced per image, is each job's own. Each job keeps the
single run's state (an `AdamOptimizer`: image, last finite image, Keras Adam with its
moments), so a batched job checkpoints exactly like `nst-tf` does and either command can
resume it; Adam is elementwise, so updating each job's slice with its own optimizer is the
single run's update.

The states are slots: a group of jobs of one size loads its images (or checkpoints) and
targets into them, and the next group of that size reuses them, so the compiled step is traced
once per size for the whole batch (targets are its arguments). A replica with fewer jobs than
slots (the tail of a batch) computes its spare slots too, on whatever they hold, and their
results are dropped: every replica keeps the same shapes (TPUs trace one replica step).

Across devices the step runs through `tf.distribute`: each replica stacks its slots' images
and targets (`experimental_distribute_values_from_function`), `strategy.run` returns
per-replica gradients, and each slot's Adam applies its slice on its own device. Nothing is
all-reduced: the jobs are independent, and Keras optimizers would otherwise sum gradients
across replicas. Only the VGG weights are mirrored (read-only). The step uses nothing but
`strategy.run`, `experimental_distribute_values_from_function` and
`experimental_local_results`, which OneDevice, Mirrored, TPU and MultiWorkerMirrored strategies
all provide; under MultiWorkerMirrored each worker holds and writes only its local replicas'
jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from nst_tf.objective.objective import Objective, Targets, Terms, stack_targets
from nst_tf.optim.adam import AdamOptimizer


def local_replicas(strategy: tf.distribute.Strategy) -> list[tuple[int, str]]:
    """(global replica id, device) of each replica this worker runs, in local order."""
    ids = strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(context.replica_id_in_sync_group)
    )
    replica_ids = [int(value.numpy()) for value in strategy.experimental_local_results(ids)]
    return list(zip(replica_ids, strategy.extended.worker_devices, strict=True))


class BatchedAdam:
    """The `ImageOptimizer` the loop drives for a group of jobs; terms are [N] in job order.

    `slots[r]` are local replica r's `AdamOptimizer` states, `per_replica` of them, for images
    of `shape` [1, H, W, 3]. `load` puts a group's jobs into them; `last_terms` holds the terms
    the latest step or evaluation returned for the loaded jobs: the loop hands the run's hooks
    only the first image's floats, so the batch's hooks read every job's from here.
    """

    stores_terms = False  # Adam's: a step's terms are of the image before it

    def __init__(
        self,
        strategy: tf.distribute.Strategy,
        objective: Objective,
        shape: Sequence[int],
        per_replica: int,
        learning_rate: float,
        jit: bool = False,
    ):
        self._strategy = strategy
        self._objective = objective
        self._local = local_replicas(strategy)
        blank = np.zeros(shape, np.float32)
        self.slots: list[list[AdamOptimizer]] = []
        for _, device in self._local:
            with tf.device(device):
                self.slots.append(
                    [
                        AdamOptimizer(objective, blank, learning_rate, jit)
                        for _ in range(per_replica)
                    ]
                )
        self._loaded: list[int] = [0] * len(self.slots)  # jobs in each replica's slots
        self.last_terms: Terms = {}
        self.step_function = tf.function(self._step_fn, jit_compile=jit)
        self._evaluate = tf.function(self._evaluate_fn, jit_compile=jit)

    def load(self, counts: Sequence[int]) -> list[AdamOptimizer]:
        """Marks the first counts[r] slots of each local replica as this group's jobs; returns
        them in job order (the caller resets or restores each)."""
        self._loaded = list(counts)
        return self.jobs

    def targets(self, per_replica: Sequence[Sequence[Targets]]) -> Any:
        """The step's targets argument: each replica's jobs' targets stacked (spare slots get
        copies of a job's)."""
        spare = next(targets[0] for targets in per_replica if targets)
        size = len(self.slots[0])
        ids = {replica_id: index for index, (replica_id, _) in enumerate(self._local)}

        def replica_value(context: tf.distribute.experimental.ValueContext):
            group = list(per_replica[ids[context.replica_id_in_sync_group]])
            return stack_targets(group + [group[0] if group else spare] * (size - len(group)))

        return self._strategy.experimental_distribute_values_from_function(replica_value)

    def _images(self):
        ids = {replica_id: index for index, (replica_id, _) in enumerate(self._local)}
        return self._strategy.experimental_distribute_values_from_function(
            lambda context: tf.concat(
                [
                    slot.image.read_value()
                    for slot in self.slots[ids[context.replica_id_in_sync_group]]
                ],
                axis=0,
            )
        )

    def _replica_step(self, images: tf.Tensor, targets: Targets) -> tuple[tf.Tensor, Terms]:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            J, terms = self._objective(images, targets)
        return tape.gradient(J, images), terms

    def _step_fn(self, targets) -> Any:
        gradients, terms = self._strategy.run(self._replica_step, (self._images(), targets))
        gradients = self._strategy.experimental_local_results(gradients)
        totals = self._strategy.experimental_local_results(terms["total"])
        for slots, gradient, total in zip(self.slots, gradients, totals, strict=True):
            for index, slot in enumerate(slots):
                finite = tf.math.is_finite(total[index])
                slot.last_finite.assign(tf.where(finite, slot.image, slot.last_finite))
                slot.optimizer.apply_gradients([(gradient[index : index + 1], slot.image)])
        return terms

    def _evaluate_fn(self, targets) -> Any:
        return self._strategy.run(
            lambda images, targets: self._objective(images, targets)[1], (self._images(), targets)
        )

    def _gather(self, terms) -> Terms:
        """Per-replica terms -> [N] vectors of the loaded jobs, in job order."""
        local = self._strategy.experimental_local_results
        return {
            name: tf.concat(
                [part[:count] for part, count in zip(local(value), self._loaded, strict=True)],
                axis=0,
            )
            for name, value in terms.items()
        }

    def step(self, targets) -> Terms:
        self.last_terms = self._gather(self.step_function(targets))
        return self.last_terms

    def evaluate(self, targets) -> Terms:
        self.last_terms = self._gather(self._evaluate(targets))
        return self.last_terms

    @property
    def jobs(self) -> list[AdamOptimizer]:
        return [
            slot
            for slots, count in zip(self.slots, self._loaded, strict=True)
            for slot in slots[:count]
        ]

    @property
    def image(self) -> tf.Tensor:
        """Every loaded job's image, [N, H, W, 3] in job order."""
        return tf.concat([slot.image for slot in self.jobs], axis=0)

    @property
    def updates(self) -> int:
        return self.jobs[0].updates

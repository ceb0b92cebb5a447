"""Several jobs optimised together: one [n, H, W, 3] image per device, each job its own Adam.

The objective already reduces every cost per image, so the forward and backward pass of a
stack of n images is one VGG pass whose gradient, sliced per image, is each job's own. Each
job keeps the single run's state (an `AdamOptimizer`: image, last finite image, Keras Adam
with its moments), so a batched job checkpoints exactly like `nst-tf` does and either command
can resume it; Adam is elementwise, so updating each job's slice with its own optimizer is the
single run's update.

Across devices the same step runs through `tf.distribute`: each replica stacks its own jobs'
images and targets (`experimental_distribute_values_from_function`), `strategy.run` returns
per-replica gradients, and each job's Adam applies its slice on its own device. Nothing is
all-reduced: the jobs are independent, and Keras optimizers would otherwise sum gradients
across replicas. Only the VGG weights are mirrored (read-only). The step uses nothing but
`strategy.run`, `experimental_distribute_values_from_function` and `experimental_local_results`,
which OneDevice, Mirrored, TPU and MultiWorkerMirrored strategies all provide; under
MultiWorkerMirrored each worker holds and writes only its local replicas' jobs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import tensorflow as tf

from nst_tf.build import Inputs, objective_and_start
from nst_tf.config import Config
from nst_tf.objective.objective import Objective, Terms
from nst_tf.objective.targets import StyleTarget, Targets
from nst_tf.optim.adam import AdamOptimizer
from nst_tf.runtime import devices


@dataclasses.dataclass
class Member:
    """One job of a batch, with the single run's optimizer state (its checkpoint layout)."""

    config: Config
    inputs: Inputs
    targets: Targets
    optimizer: AdamOptimizer


def make_member(config: Config, inputs: Inputs, extractor, device: str) -> Member:
    """A job's targets (computed once) and its optimizer state, placed on `device`."""
    objective, initial = objective_and_start(config, inputs, extractor)
    with tf.device(device):
        optimizer = AdamOptimizer(
            objective, initial, config.learning_rate, jit=devices.resolve_jit(config.jit)
        )
    return Member(config, inputs, objective.targets, optimizer)


def local_replicas(strategy: tf.distribute.Strategy) -> list[tuple[int, str]]:
    """(global replica id, device) of each replica this worker runs, in local order."""
    ids = strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(context.replica_id_in_sync_group)
    )
    replica_ids = [int(value.numpy()) for value in strategy.experimental_local_results(ids)]
    return list(zip(replica_ids, strategy.extended.worker_devices, strict=True))


def _padded(group: Sequence[Member], size: int, spare: Member) -> list[Member]:
    """A replica's jobs padded to `size` with copies of a job, whose results are discarded.

    Every replica then runs the same shapes (TPUs trace the replica step once for all), and a
    replica left without a job at the tail of a batch still has a valid, non-empty input.
    """
    group = list(group)
    return group + [group[0] if group else spare] * (size - len(group))


class BatchedAdam:
    """The `ImageOptimizer` the loop drives for a batch; terms are [N] vectors in job order.

    `members[r]` are the jobs of local replica r, in the batch's job order. `last_terms` holds
    the terms the latest step or evaluation returned: the loop hands the run's hooks only the
    first image's floats, so the batch's hooks read every job's from here.
    """

    def __init__(
        self,
        strategy: tf.distribute.Strategy,
        extractor,
        config: Config,
        members: Sequence[Sequence[Member]],
    ):
        self._strategy = strategy
        self._extractor = extractor
        self._config = config
        self._replicas = [list(group) for group in members]
        self.members = [member for group in self._replicas for member in group]
        self._local = local_replicas(strategy)
        self._size = max(len(group) for group in self._replicas)
        self._targets = self._per_replica(
            lambda group: (
                tf.concat([m.targets.content for m in group], axis=0),
                {
                    name: tf.stack([m.targets.styles[0].grams[name] for m in group])
                    for name, _ in config.style_layers
                },
            )
        )
        self.last_terms: Terms = {}
        self._step = tf.function(self._step_fn)
        self._evaluate = tf.function(self._evaluate_fn)

    def _per_replica(self, value_fn: Callable[[list[Member]], object]):
        """One value per replica from its jobs (padded, see `_padded`)."""
        ids = {replica_id: index for index, (replica_id, _) in enumerate(self._local)}

        def replica_value(context: tf.distribute.experimental.ValueContext):
            group = self._replicas[ids[context.replica_id_in_sync_group]]
            return value_fn(_padded(group, self._size, self.members[0]))

        return self._strategy.experimental_distribute_values_from_function(replica_value)

    def _images(self):
        return self._per_replica(
            lambda group: tf.concat([m.optimizer.image.read_value() for m in group], axis=0)
        )

    def _objective(self, targets) -> Objective:
        content, grams = targets
        config = self._config
        return Objective(
            self._extractor,
            Targets(content, (StyleTarget(grams),)),
            config.content_layer,
            config.style_layers,
            config.alpha,
            config.beta,
        )

    def _replica_step(self, images: tf.Tensor, targets) -> tuple[tf.Tensor, Terms]:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            J, terms = self._objective(targets)(images)
        return tape.gradient(J, images), terms

    def _gather(self, terms) -> Terms:
        """Per-replica terms -> [N] vectors in job order, padding dropped."""
        local = self._strategy.experimental_local_results
        gathered = {}
        for name, value in terms.items():
            parts = zip(local(value), self._replicas, strict=True)
            gathered[name] = tf.concat([part[: len(group)] for part, group in parts], axis=0)
        return gathered

    def _step_fn(self) -> Terms:
        gradients, terms = self._strategy.run(self._replica_step, (self._images(), self._targets))
        gradients = self._strategy.experimental_local_results(gradients)
        totals = self._strategy.experimental_local_results(terms["total"])
        for group, gradient, total in zip(self._replicas, gradients, totals, strict=True):
            for index, member in enumerate(group):
                state = member.optimizer
                finite = tf.math.is_finite(total[index])
                state.last_finite.assign(tf.where(finite, state.image, state.last_finite))
                state.optimizer.apply_gradients([(gradient[index : index + 1], state.image)])
        return self._gather(terms)

    def _evaluate_fn(self) -> Terms:
        terms = self._strategy.run(
            lambda images, targets: self._objective(targets)(images)[1],
            (self._images(), self._targets),
        )
        return self._gather(terms)

    def step(self) -> Terms:
        self.last_terms = self._step()
        return self.last_terms

    def evaluate(self) -> Terms:
        self.last_terms = self._evaluate()
        return self.last_terms

    @property
    def image(self) -> tf.Tensor:
        """Every job's image, [N, H, W, 3] in job order."""
        return tf.concat([member.optimizer.image for member in self.members], axis=0)

    @property
    def updates(self) -> int:
        return self.members[0].optimizer.updates

"""The network, Adam and the compiled training step, under one tf.distribute strategy.

Each replica stylizes its slice of the global batch, each element with its own slot (one-hot
weights, so a batch mixes styles as in magenta), and takes the gradient of its share of the
global mean loss (its images' losses summed over the global batch size). Keras's Adam, applied
inside `strategy.run`, all-reduces (sums) the replicas' gradients before its update, so every
replica applies the gradient of the global mean: the same update as one device running the
whole batch. The logged terms are summed across replicas (`strategy.reduce`), so every worker
sees the global means.

Fine-tuning trains the gamma and beta tables only, and only their new rows: the other rows get
an exactly zero gradient from the first step, so Adam's moments for them stay zero and they
never move.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from nst_tf.network.transformer import StyleNetwork
from nst_tf.objective.objective import Terms
from nst_tf.training.loss import TrainingLoss


def local_replicas(strategy: tf.distribute.Strategy) -> list[int]:
    """The global replica ids this worker runs, in local order."""
    ids = strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(context.replica_id_in_sync_group)
    )
    return [int(value.numpy()) for value in strategy.experimental_local_results(ids)]


class Trainer:
    """Call `step(photos, slots)` with this worker's share of a step's batch (see data.py)."""

    def __init__(
        self,
        strategy: tf.distribute.Strategy,
        network: StyleNetwork,
        loss: TrainingLoss,
        learning_rate: float,
        batch_size: int,
        precision: str,
        trained_rows: Sequence[int] | None = None,
    ):
        """`network` and `loss` are built under `strategy.scope()`; `trained_rows` limits
        training to those slots' gammas and betas (fine-tuning)."""
        self.strategy = strategy
        self.network = network
        self.loss = loss
        self.batch_size = batch_size
        self.precision = precision
        if trained_rows is None:
            self.variables = list(network.trainable_variables)
            self._masks = None
        else:
            self.variables = network.norm_variables()
            rows = np.zeros([network.slots, 1], np.float32)
            rows[list(trained_rows)] = 1.0
            self._masks = tf.constant(rows)
        with strategy.scope():
            self.optimizer = keras.optimizers.Adam(learning_rate)
            self.optimizer.build(self.variables)
        self.replicas = local_replicas(strategy)
        self.per_replica = batch_size // strategy.num_replicas_in_sync
        self._step = tf.function(self._step_fn)

    def state(self) -> dict[str, object]:
        """What a checkpoint holds: the network and Adam (its step count is the run's step)."""
        return {"network": self.network, "adam": self.optimizer}

    @property
    def steps(self) -> int:
        return int(self.optimizer.iterations.numpy())

    def _replica_step(self, photos: tf.Tensor, slots: tf.Tensor) -> Terms:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(self.variables)
            weights = tf.one_hot(slots, self.network.slots)
            stylized = self.network(photos, weights, self.precision)
            total, terms = self.loss(stylized, photos, slots)
            share = total / self.batch_size
        gradients = tape.gradient(share, self.variables)
        if self._masks is not None:
            gradients = [gradient * self._masks for gradient in gradients]
        self.optimizer.apply_gradients(zip(gradients, self.variables, strict=True))
        return terms

    def _step_fn(self, photos, slots) -> Terms:
        terms = self.strategy.run(self._replica_step, (photos, slots))
        sum_ = tf.distribute.ReduceOp.SUM
        return {
            name: self.strategy.reduce(sum_, value, axis=None) / self.batch_size
            for name, value in terms.items()
        }

    def step(self, photos: tf.Tensor, slots: tf.Tensor) -> dict[str, float]:
        """One update on this worker's replicas' samples; the global mean of every term."""
        local = {replica: index for index, replica in enumerate(self.replicas)}
        size = self.per_replica

        def share(values: tf.Tensor):
            def value(context: tf.distribute.experimental.ValueContext) -> tf.Tensor:
                start = local[context.replica_id_in_sync_group] * size
                return values[start : start + size]

            return self.strategy.experimental_distribute_values_from_function(value)

        terms = self._step(share(photos), share(slots))
        return {name: float(value) for name, value in terms.items()}

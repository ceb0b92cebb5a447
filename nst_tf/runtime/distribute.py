"""Which tf.distribute strategy a batch runs under, by name.

One step serves them all (nst_tf/batch/batched.py); only how the devices are found differs:
local GPUs or CPUs, a TPU (its address in --tpu or the environment a Cloud TPU VM sets), or
several machines described by the TF_CONFIG environment variable.

TensorFlow is imported when a strategy is made, not with the module: the commands read
STRATEGIES to define their flags before nst_tf.runtime.environment starts TensorFlow quietly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nst_tf.errors import UserError

if TYPE_CHECKING:
    import tensorflow as tf

STRATEGIES = ("auto", "one_device", "mirrored", "tpu", "multi_worker")


def make_strategy(name: str, tpu: str = "") -> tf.distribute.Strategy:
    """auto: every local GPU when there are several (MirroredStrategy), else one device.

    multi_worker lists no device first: MultiWorkerMirroredStrategy must be made before
    TensorFlow's context starts (see nst_tf.runtime.environment.configure's `startup`).
    """
    import tensorflow as tf

    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "one_device"
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.OpError) as err:
            raise UserError(f"--distribute=tpu found no TPU ({err}); pass --tpu=ADDRESS") from None
        return tf.distribute.TPUStrategy(resolver)
    raise UserError(f"--distribute must be one of {', '.join(STRATEGIES)}, got {name}")

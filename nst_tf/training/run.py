"""One training run of nst-tf-train, orchestrated: read, plan the folder, build, loop, export.

The run folder is nst-tf's (nst_tf.outputs.run_folder): config.json first (status "running"),
checkpoints of the network and Adam every --checkpoint_every steps, and `--resume` continues
from the newest intact one; only a larger --num_steps may differ. Because every sample is a
function of the seed and its index (nst_tf.training.data), a resumed run sees the batches an
uninterrupted run sees and logs the same losses. trace.csv holds every logged step's terms (the
`iteration` column is the step), TensorBoard the same plus every style applied to a preview
photo held out of training; preview.png is the latest of those. SIGINT and SIGTERM finish the
step, checkpoint, export and exit (130, 143). At the end (and at a stop) the network is
exported to saved_model/ (nst_tf.network.export).

Under MultiWorkerMirroredStrategy every worker runs this with the same flags and a shared
--output_dir; worker 0 writes the folder, the others save their (identical) checkpoints to a
scratch folder that is removed, as tf.distribute requires every worker to save.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf import build
from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.network import export
from nst_tf.outputs.run_folder import RunFolder
from nst_tf.runtime import signals
from nst_tf.stylize import RunStoppedError
from nst_tf.training.assemble import assemble, load_base, read_styles, style_name
from nst_tf.training.config import NetworkConfig, require_inputs
from nst_tf.training.data import SampleStream, training_dataset
from nst_tf.training.outputs import Previews, TrainingOutputs
from nst_tf.training.photos import decode_photos, find_photos
from nst_tf.weights import locate

IDENTITY_NAME = "identity"


@dataclasses.dataclass(frozen=True)
class TrainResult:
    output_dir: str
    saved_model: str
    styles: tuple[str, ...]
    trace: list[dict[str, float]]
    seconds: float


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Worker 0 of a multi-worker cluster, or the only process."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    worker_zero = resolver.task_type == "worker" and resolver.task_id == 0
    return resolver.task_type == "chief" or worker_zero


def choose_preview(config: NetworkConfig, photos: list[np.ndarray], paths: list[str]):
    """(preview uint8 photo, training photos): --preview_image, else the first photo, held out
    when there are others."""
    if config.preview_image:
        return io.read_image(config.preview_image, "preview"), photos
    if len(photos) > 1:
        logging.info("Holding %s out of training as the preview photo", paths[0])
        return photos[0], photos[1:]
    logging.info("Only one training photo: it is the preview photo too")
    return photos[0], photos


def preview_size(pixels: np.ndarray, short_side: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    scale = short_side / min(height, width)
    return io.resize(pixels, max(1, round(width * scale)), max(1, round(height * scale)))


def train(
    config: NetworkConfig, strategy: tf.distribute.Strategy, resume: bool = False
) -> TrainResult:
    """Runs `config` into its --output_dir (module doc); `resume` continues it."""
    started = time.perf_counter()
    config = dataclasses.replace(config, vgg_path=locate.resolve_vgg_path(config.vgg_path))
    require_inputs(config)
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise UserError(
            f"--batch_size={config.batch_size} does not split over {replicas} replicas; give a "
            "multiple of it"
        )
    chief = is_chief(strategy)
    folder = RunFolder(config.output_dir, config.to_dict())
    if chief:
        folder.check_writable()
    mode = "always" if resume else "never"
    plan = folder.plan(config.num_steps, mode, ("num_steps",), "num_steps")
    base = load_base(config)
    styles = read_styles(config)
    paths = find_photos(config.train_images)
    photos, paths = decode_photos(paths, config.photo_size)
    logging.info("Training photos: %d from %s", len(photos), config.train_images)
    preview, photos = choose_preview(config, photos, paths)

    weights = build.load_weights(config)
    names = [style_name(path) for path in config.style_paths]
    parts = assemble(config, strategy, weights, styles, names, base)
    trainer, network, names, precision = parts.trainer, parts.network, parts.styles, parts.precision
    folder.weights, folder.precision = weights.provenance, precision
    del weights

    previews = Previews(
        network,
        preview_size(preview, config.image_size),
        [IDENTITY_NAME, *names],
        precision["used"],
    )
    outputs = TrainingOutputs(config, folder, plan, trainer.state(), previews, chief)
    if chief:
        folder.write_record("running", plan.start, outputs.seconds(), styles=names)
    stream = SampleStream(photos, config.image_size, config.seed, parts.trained_slots)
    steps = range(plan.start, config.num_steps)
    data = training_dataset(stream, steps, config.batch_size, trainer.per_replica, trainer.replicas)
    stopped = None
    try:
        with signals.stop_requests() as stop_requested:
            for step, (batch, batch_slots) in zip(steps, data, strict=False):
                terms = trainer.step(batch, batch_slots)
                if not math.isfinite(terms["total"]):
                    raise UserError(
                        f"the loss became non-finite at step {step}; lower --learning_rate "
                        f"(now {config.learning_rate:g}) and start afresh"
                    )
                checkpointed = outputs.after_step(step, terms)
                reason = stop_requested()
                if reason is not None and step + 1 < config.num_steps:
                    if not checkpointed:
                        outputs.checkpoint(step + 1)
                    stopped = (reason, step + 1)
                    break
    finally:
        outputs.close()
    return _finish(config, folder, outputs, parts, stopped, time.perf_counter() - started)


def _finish(config, folder, outputs, parts, stopped, elapsed) -> TrainResult:
    """Exports the network (worker 0), writes config.json's final status, or raises the stop."""
    names, saved_model = parts.styles, folder.file(export.SAVED_MODEL)
    if outputs.chief:
        about = {"config": config.to_dict(), "steps": parts.trainer.steps}
        export.save(parts.network, names, saved_model, **about)
    if stopped is not None:
        reason, done = stopped
        if outputs.chief:
            folder.write_record("interrupted", done, outputs.seconds(), styles=names, signal=reason)
        raise RunStoppedError(
            f"stopped by {reason} after step {done - 1}; a checkpoint and saved_model/ are in "
            f"{config.output_dir}; continue with the same flags plus --resume",
            signals.EXIT_CODES.get(reason, 1),
        )
    trace = []
    if outputs.chief:
        folder.write_record("completed", config.num_steps, outputs.seconds(), styles=names)
        trace = outputs.trace.rows
        logging.info("Wrote %s (%s) in %.1f s", saved_model, json.dumps(names), elapsed)
    return TrainResult(config.output_dir, saved_model, tuple(names), trace, outputs.seconds())

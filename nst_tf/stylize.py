"""One run, orchestrated: build, resume or start, loop with writers and checkpoints, finish.

Outputs are written as they become final: config.json (status "running") first, initial.png
(Figure 4's noisy start), `<i>.png` every save_every iterations, trace.csv after every logged
iteration, TensorBoard events, checkpoints every checkpoint_every iterations, then
generated_image.jpg, side_by_side.png (content | style | generated) and config.json with its
final status. A signal (SIGINT, SIGTERM) stops after the current step with a checkpoint, the
image reached so far and status "interrupted"; a non-finite cost stops with the last finite
image and status "diverged".
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Mapping

import numpy as np
from absl import logging

from nst_tf import config as config_lib
from nst_tf.build import Run, build
from nst_tf.config import Config
from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.optim.loop import DivergedError, StoppedError, run_loop
from nst_tf.optim.multiscale import total_iterations
from nst_tf.outputs import record
from nst_tf.outputs.checkpoint import CHECKPOINT_DIR, RunCheckpoints, saved_updates
from nst_tf.outputs.progress import Progress
from nst_tf.outputs.writers import (
    ImageFileWriter,
    MultiWriter,
    PaperLogWriter,
    TensorBoardWriter,
    TraceCsvWriter,
)
from nst_tf.runtime import signals
from nst_tf.weights import locate

GENERATED_IMAGE = "generated_image.jpg"
INITIAL_IMAGE = "initial.png"
SIDE_BY_SIDE = "side_by_side.png"
TRACE_FILE = "trace.csv"
TENSORBOARD_DIR = "tensorboard"
RESUMABLE_CHANGES = ("num_iterations",)


@dataclasses.dataclass(frozen=True)
class RunResult:
    output_dir: str
    image: np.ndarray  # uint8 [H, W, 3]
    trace: list[dict[str, float]]
    seconds: float


class RunStoppedError(Exception):
    """The run ended early (a signal, or a non-finite cost) with its outputs safe on disk."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def prepare_output_dir(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".write_test{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as err:
        raise UserError(
            f"cannot write to output directory {path} ({err.strerror}); pass a writable "
            "--output_dir"
        ) from None


class _Hooks:
    """The loop's outputs: writers for costs and images, checkpoints, progress, wall time."""

    def __init__(self, run: Run, checkpoints: RunCheckpoints, start_updates: int, seconds: float):
        config = run.config
        self._render = run.render
        self._checkpoints = checkpoints
        self._offset = seconds
        self._started = time.perf_counter()
        self.trace = TraceCsvWriter(
            os.path.join(config.output_dir, TRACE_FILE),
            keep_before=start_updates - 1 if start_updates else None,
        )
        self.progress = Progress(total_iterations(config), start=start_updates)
        writers = [PaperLogWriter(self.progress), self.trace, ImageFileWriter(config.output_dir)]
        if config.tensorboard:
            writers.append(TensorBoardWriter(os.path.join(config.output_dir, TENSORBOARD_DIR)))
        self.writers = MultiWriter(writers)

    def seconds(self) -> float:
        return self._offset + time.perf_counter() - self._started

    def on_costs(self, iteration: int, terms: Mapping[str, float]) -> None:
        self.writers.write_scalars(iteration, {**terms, "seconds": self.seconds()})

    def on_image(self, iteration: int, image: np.ndarray) -> None:
        self.writers.write_images(iteration, {"generated": self._render(image)})

    def on_checkpoint(self, updates: int) -> None:
        self._checkpoints.save(updates, self.seconds())
        self.writers.flush()

    def on_step(self, iteration: int) -> None:
        self.progress.update(iteration)

    def close(self) -> None:
        self.progress.close()
        self.writers.close()


def _start_or_resume(config: Config, resume: bool) -> Run:
    """Checks a resume against the saved config, or clears a previous run's checkpoints."""
    checkpoint_dir = os.path.join(config.output_dir, CHECKPOINT_DIR)
    if resume:
        saved = record.read_record(config.output_dir)
        # A --scales schedule must stay as it was: the checkpoint's image has its scale's size.
        allowed = RESUMABLE_CHANGES if config.scales is None else ()
        changed = config_lib.differences(saved["config"], config, allowed)
        if changed:
            raise UserError(
                f"cannot resume {config.output_dir} with other settings ({'; '.join(changed)}); "
                "repeat the original flags (only a larger --num_iterations may change, and "
                "not with --scales)"
            )
        return build(config, start_updates=saved_updates(config.output_dir))
    if os.path.isdir(checkpoint_dir):
        logging.info("Starting afresh: removing the earlier run's %s", checkpoint_dir)
        shutil.rmtree(checkpoint_dir)
    return build(config)


def stylize(config: Config, resume: bool = False) -> RunResult:
    """Runs the optimization for `config` and writes every output (see the module doc)."""
    started = time.perf_counter()
    if not config.content or not config.style:
        raise UserError("both --content and --style images are required")
    config = dataclasses.replace(config, vgg_path=locate.resolve_vgg_path(config.vgg_path))
    prepare_output_dir(config.output_dir)
    run = _start_or_resume(config, resume)
    checkpoints = RunCheckpoints(
        config.output_dir, run.optimizer.state(), max_to_keep=config.keep_checkpoints
    )
    start_updates, seconds = checkpoints.restore_latest() if resume else (0, 0.0)
    total = total_iterations(config)
    if start_updates > total:
        raise UserError(
            f"the checkpoint in {config.output_dir} is at iteration {start_updates}, past "
            f"--num_iterations={config.num_iterations}; pass a larger --num_iterations"
        )
    if resume:
        logging.info("Resuming %s at iteration %d", config.output_dir, start_updates)
    else:
        io.save_image(
            os.path.join(config.output_dir, INITIAL_IMAGE),
            run.render(run.initial_image),
        )
    hooks = _Hooks(run, checkpoints, start_updates, seconds)
    provenance = run.weights_provenance

    def finish(status: str, image: np.ndarray, completed: int, **extra) -> np.ndarray:
        hooks.close()
        pixels = run.render(image)
        io.save_image(os.path.join(config.output_dir, GENERATED_IMAGE), pixels)
        record.write_record(
            config, status, completed, hooks.seconds(), provenance, precision=run.precision, **extra
        )
        return pixels

    record.write_record(
        config, "running", start_updates, seconds, provenance, precision=run.precision
    )
    try:
        with signals.stop_requests() as stop_requested:
            final = run_loop(
                run.optimizer,
                total,
                config.log_every,
                config.save_every,
                config.checkpoint_every,
                hooks,
                stop_requested,
            )
    except StoppedError as stop:
        finish("interrupted", run.optimizer.image.numpy(), stop.updates, signal=stop.reason)
        raise RunStoppedError(
            f"stopped by {stop.reason} after iteration {stop.updates - 1}; outputs and a "
            f"checkpoint are in {config.output_dir}; continue with the same flags plus --resume",
            signals.EXIT_CODES.get(stop.reason, 1),
        ) from None
    except DivergedError as diverged:
        finish(
            "diverged", run.optimizer.last_finite.numpy(), max(diverged.iteration, 0),
            diverged_at=diverged.iteration,
        )  # fmt: skip
        raise RunStoppedError(
            f"error: the cost became non-finite at iteration {diverged.iteration} "
            f"(--learning_rate={config.learning_rate:g} is likely too large; lower it); the last "
            f"finite image is {os.path.join(config.output_dir, GENERATED_IMAGE)}",
            1,
        ) from None
    except BaseException:
        hooks.close()
        raise
    final_pixels = finish("completed", final, total)
    io.save_image(
        os.path.join(config.output_dir, SIDE_BY_SIDE),
        io.side_by_side(run.inputs.content, run.inputs.styles[0], final_pixels),
    )
    total = time.perf_counter() - started
    logging.info("Wrote %s in %.1f s", os.path.join(config.output_dir, GENERATED_IMAGE), total)
    return RunResult(config.output_dir, final_pixels, hooks.trace.rows, hooks.seconds())

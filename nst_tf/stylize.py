"""One run, orchestrated: plan its folder, then scale by scale build, resume or start, loop.

A run is one or more scales (--scales: coarse to fine, nst_tf.images.sizes). Each scale is a
run of its own size: `build` assembles it with targets from the ORIGINAL images resized to it
(never from the previous scale's copies) and a fresh optimizer starting from the previous
scale's result, upsampled bicubically; the VGG weights are read once. Iterations are numbered
over the whole run, trace.csv gains a `long_side` column and a row at the last iteration of
every scale, and a checkpoint belongs to the scale it was taken in, so a resume rebuilds that
scale first and carries on through the schedule. Adam's moments are not carried to the next
scale: they are per-pixel statistics of another size, and carrying them resized was measured
worse (docs/performance.md).

The run folder (nst_tf.outputs.run_folder) owns what is written; this module decides when. A
signal (SIGINT, SIGTERM) stops after the current step with a checkpoint, the image reached so
far and status "interrupted"; a non-finite cost stops with the last finite image and status
"diverged". nst-tf-batch runs a job its batched step does not cover through `run_planned`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from absl import logging

from nst_tf.build import Inputs, Run, build, layers_of, load_inputs, load_weights, working_size
from nst_tf.config import Config, paper_settings
from nst_tf.errors import UserError
from nst_tf.images import io, local_affine, sizes
from nst_tf.images.masks import resize_mask
from nst_tf.model import vgg
from nst_tf.objective.terms import term_names
from nst_tf.optim.loop import DivergedError, Schedule, StoppedError, run_loop
from nst_tf.outputs.progress import Progress
from nst_tf.outputs.run_folder import GENERATED_IMAGE, RESUMABLE_CHANGES, Plan, RunFolder
from nst_tf.runtime import memory, signals
from nst_tf.weights import locate

LONG_SIDE = "long_side"  # the trace column naming each row's scale, with --scales


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


def total_iterations(config: Config) -> int:
    """Iterations of the whole run: num_iterations, or the sum over the scales."""
    if config.scales is None:
        return config.num_iterations
    return sum(config.scale_iterations or [config.num_iterations] * len(config.scales))


def run_schedule(config: Config, inputs: Inputs | None = None) -> list[sizes.Scale]:
    """The run's scales: one at the working size, or --scales at the content's aspect."""
    if inputs is None:
        content_size = io.read_size(config.content, "content")
    else:
        content_size = (inputs.content.shape[1], inputs.content.shape[0])
    return sizes.schedule(
        content_size,
        working_size(config, content_size),
        config.num_iterations,
        config.scales,
        config.scale_iterations,
    )


def at_scale(config: Config, scale: sizes.Scale) -> Config:
    """The one-size config `build` assembles for a scale of a --scales run."""
    if config.scales is None:
        return config
    return dataclasses.replace(
        config,
        width=scale.width,
        height=scale.height,
        image_size=None,  # the scale's exact size, not --image_size's
        num_iterations=scale.iterations,
        scales=None,
        scale_iterations=None,
    )


def _inputs_at(config: Config, inputs: Inputs | None, scale: sizes.Scale) -> Inputs:
    """A scale's images, resized from the originals (read from the files unless passed in)."""
    if inputs is None:
        return load_inputs(at_scale(config, scale), check_memory=config.scales is None)
    if config.scales is None:
        return inputs
    size = (scale.width, scale.height)
    styles = tuple(
        io.resize(
            style, *sizes.style_size((style.shape[1], style.shape[0]), size, config.style_scale)
        )
        for style in inputs.styles
    )
    masks = tuple(resize_mask(mask, *size) for mask in inputs.masks)
    init = None if inputs.init is None else io.resize(inputs.init, *size)
    segments = None
    if inputs.segments is not None:
        style_size = (styles[0].shape[1], styles[0].shape[0])
        segments = inputs.segments.resized(size, style_size)
    return Inputs(io.resize(inputs.content, *size), styles, masks, init, segments)


def scale_runs(
    config: Config,
    weights: vgg.VggWeights,
    start_updates: int = 0,
    inputs: Inputs | None = None,
) -> Iterator[tuple[sizes.Scale, Run]]:
    """Each scale's run, from the one `start_updates` falls in to the last.

    A scale is built when the caller asks for it, from the previous scale's image as it is
    then (upsampled), and the previous scale's run is let go first.
    """
    scales = run_schedule(config, inputs)
    if config.scales is not None:  # refuse an output size that cannot fit before the first
        final = scales[-1]
        memory.choose_recompute(
            final.width,
            final.height,
            layers_of(config),
            config.recompute,
            "--scales",
            config.optimizer,
            config.lbfgs_history,
        )
    initial, precision = None, None
    for scale in scales[sizes.scale_at(scales, start_updates).index :]:
        if len(scales) > 1:
            logging.info(
                "Scale %d of %d: %dx%d, iterations %d to %d",
                scale.index + 1,
                len(scales),
                scale.width,
                scale.height,
                scale.start,
                scale.end - 1,
            )
        run = build(
            at_scale(config, scale),
            _inputs_at(config, inputs, scale),
            weights,
            initial=initial,
            precision=precision,
        )
        precision = run.precision
        yield scale, run
        if scale.index + 1 < len(scales):
            following = scales[scale.index + 1]
            initial = sizes.upsample(run.optimizer.image.numpy(), following.width, following.height)
        del run  # the finished scale's graph and activations go before the next is built


def stylize(config: Config, resume: bool = False) -> RunResult:
    """Runs `config` into its --output_dir (see the module doc); `resume` continues it."""
    config = dataclasses.replace(config, vgg_path=locate.resolve_vgg_path(config.vgg_path))
    if not config.content or not config.style:
        raise UserError("both --content and --style images are required")
    folder = RunFolder(config.output_dir, config.to_dict(), paper_settings())
    # A --scales schedule must stay as it was: the checkpoint's image has its scale's size.
    allowed = RESUMABLE_CHANGES if config.scales is None else ()
    plan = folder.plan(total_iterations(config), "always" if resume else "never", allowed)
    return run_planned(config, folder, plan)


def run_planned(
    config: Config,
    folder: RunFolder,
    plan: Plan,
    progress: Any = None,
    weights: vgg.VggWeights | None = None,
) -> RunResult:
    """Runs a planned ("start" or "resume") folder; `progress` and `weights` are nst-tf-batch's
    (shared by its jobs), else this run's own."""
    started = time.perf_counter()
    folder.check_writable()
    total = total_iterations(config)
    weights = weights or load_weights(config)
    folder.weights = weights.provenance
    own_progress = progress is None
    if own_progress:
        progress = Progress(total, start=plan.start)
    outputs = folder.outputs(plan, config.keep_checkpoints, config.tensorboard, progress)
    schedule = Schedule(
        config.log_every, config.save_every, config.checkpoint_every, config.scales is not None
    )
    run: Run | None = None
    ended: StoppedError | DivergedError | None = None
    try:
        with signals.stop_requests() as stop_requested:
            for index, (scale, run) in enumerate(scale_runs(config, weights, plan.start)):
                first = index == 0
                folder.precision = run.precision
                outputs.render = run.render
                if config.scales is not None:
                    outputs.constants = {LONG_SIDE: float(scale.long_side)}
                if first:
                    folder.begin(plan, run.render(run.initial_image))
                outputs.track(run.optimizer.state(), plan.checkpoint if first else None)
                if first:
                    folder.write_record("running", plan.start, outputs.seconds())
                if scale.end == total:
                    note_small_image(config, scale)
                final = run_loop(
                    run.optimizer,
                    run.targets,
                    scale.end,
                    schedule,
                    outputs,
                    stop_requested,
                    offset=scale.start,
                    final=scale.end == total,
                )
    except (StoppedError, DivergedError) as err:
        ended = err
    finally:
        outputs.close()
        if own_progress:
            progress.close()
    if isinstance(ended, StoppedError):
        pixels = run.render(run.optimizer.image.numpy())
        folder.finish("interrupted", pixels, ended.updates, outputs.seconds(), signal=ended.reason)
        raise RunStoppedError(
            f"stopped by {ended.reason} after iteration {ended.updates - 1}; outputs and a "
            f"checkpoint are in {config.output_dir}; continue with the same flags plus --resume",
            signals.EXIT_CODES.get(ended.reason, 1),
        )
    if isinstance(ended, DivergedError):
        pixels = run.render(run.optimizer.last_finite.numpy())
        completed = max(ended.iteration, 0)
        folder.finish("diverged", pixels, completed, outputs.seconds(), diverged_at=ended.iteration)
        raise RunStoppedError(
            f"error: the cost became non-finite at iteration {ended.iteration} "
            f"(--learning_rate={config.learning_rate:g} is likely too large; lower it); the last "
            f"finite image is {folder.file(GENERATED_IMAGE)}",
            1,
        )
    pixels = run.render(final)
    if config.smooth_local_affine:
        pixels = _smoothed(pixels, run.inputs.content)
    folder.finish("completed", pixels, total, outputs.seconds(), panels(run.inputs))
    logging.info("Wrote %s in %.1f s", folder.file(GENERATED_IMAGE), time.perf_counter() - started)
    return RunResult(config.output_dir, pixels, outputs.trace.rows, outputs.seconds())


# Besides alpha, beta and the terms (the paper's two, no optional one), what makes the
# objective the paper's: the small-image note was measured for it only (another eq. 1 or other
# style weights balance the terms otherwise).
PAPER_OBJECTIVE = ("content_layer", "style_layers", "content_normalization", "pooling")


def note_small_image(config: Config, scale: sizes.Scale) -> None:
    """Says so when the output size is one where the paper's weights lose the layout."""
    paper = paper_settings()
    if term_names(config) != ["content", "style"] or any(
        getattr(config, name) != paper[name] for name in PAPER_OBJECTIVE
    ):
        return
    note = sizes.small_image_note(scale.width, scale.height, config.alpha, config.beta)
    if note:
        logging.info("%s", note)


def _smoothed(pixels: np.ndarray, content: np.ndarray) -> np.ndarray:
    """--smooth_local_affine: Luan et al.'s post-process of the final image only (their code
    applies it at every save, where on a GPU it costs nothing; here seconds an image)."""
    started = time.perf_counter()
    smoothed = local_affine.smooth_local_affine(pixels, content)
    logging.info("Smoothed local affine post-process in %.1f s", time.perf_counter() - started)
    return smoothed


def panels(inputs: Inputs) -> list[np.ndarray]:
    """side_by_side.png's panels before the result: content, every style, every mask."""
    masks = [
        np.repeat(np.round(mask * 255).astype(np.uint8)[..., np.newaxis], 3, axis=2)
        for mask in inputs.masks
    ]
    return [inputs.content, *inputs.styles, *masks]

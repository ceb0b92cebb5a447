"""A batch of jobs: decide each one's fate, run the rest in groups, report every job.

A job's output folder says what is left to do: no config.json, start; a config.json of the
same settings (only a larger --num_iterations may differ) marked completed, skip; one marked
running or interrupted with a checkpoint, resume from it; other settings, refuse that job.
Jobs that start from the same iteration at the same working size run together, up to
batch_size per device (nst_tf/batch/batched.py); a job whose image is missing or unreadable
fails alone. A config the batched step does not cover (a blend of styles, or a setting added
since it was written and not at its paper default) runs each job through `nst-tf`'s own
`stylize`, one after another. A signal stops the batch after the current step with every
running job checkpointed and marked interrupted; the same command resumes them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging as std_logging
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf import build as build_lib
from nst_tf import config as config_lib
from nst_tf import stylize
from nst_tf.batch.batched import BatchedAdam, Member, local_replicas, make_member
from nst_tf.batch.jobs import Job
from nst_tf.batch.progress import BatchProgress
from nst_tf.batch.summary import JobResult, last_costs
from nst_tf.config import Config
from nst_tf.errors import UserError
from nst_tf.images import io
from nst_tf.model import vgg
from nst_tf.optim.loop import DivergedError, StoppedError, run_loop
from nst_tf.outputs import record
from nst_tf.outputs.checkpoint import CHECKPOINT_DIR, RunCheckpoints
from nst_tf.outputs.writers import ImageFileWriter, MultiWriter, TensorBoardWriter, TraceCsvWriter
from nst_tf.runtime import devices, memory, signals
from nst_tf.weights import locate

# The settings the batched step implements; any other at a non-paper value (sizes from
# --image_size, colours, masks, --scales, L-BFGS, ...) runs single, through stylize.
BATCHED_SETTINGS = frozenset(
    [
        "content",
        "style",
        "output_dir",
        "vgg_path",
        "width",
        "height",
        "means",
        "pooling",
        "content_layer",
        "style_layers",
        "alpha",
        "beta",
        "learning_rate",
        "num_iterations",
        "noise_ratio",
        "noise_range",
        "seed",
        "log_every",
        "save_every",
        "checkpoint_every",
        "keep_checkpoints",
        "tensorboard",
        "precision",
        "jit",
    ]
)
MAX_BATCH = 8


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a job's output folder asks for: start, resume (from `start`), or a final result."""

    job: Job
    config: Config
    start: int = 0
    result: JobResult | None = None


@dataclasses.dataclass
class Outcome:
    """Every job's result in job order, and the signal that stopped the batch, if one did."""

    results: list[JobResult]
    stopped_by: str | None = None


def plan_job(job: Job, config: Config) -> Plan:
    """Reads the job's config.json and checkpoints (module doc) to decide what to do."""
    if not os.path.exists(os.path.join(job.output_dir, record.CONFIG_FILE)):
        return Plan(job, config)
    try:
        saved = record.read_record(job.output_dir)
    except UserError as err:
        return Plan(job, config, result=JobResult(job.name, "refused", note=str(err)))
    changed = config_lib.differences(saved["config"], config, stylize.RESUMABLE_CHANGES)
    if changed:
        note = (
            f"{job.output_dir} holds a run with other settings ({'; '.join(changed)}); "
            "use another --output_dir or delete that folder"
        )
        return Plan(job, config, result=JobResult(job.name, "refused", note=note))
    done = int(saved.get("completed_iterations", 0))
    status = saved.get("status")
    if status == "diverged" or (status == "completed" and done >= config.num_iterations):
        result = JobResult(
            job.name,
            f"skipped ({status} before)",
            done,
            last_costs(job.output_dir),
            float(saved.get("wall_seconds", 0.0)),
        )
        return Plan(job, config, result=result)
    latest = tf.train.latest_checkpoint(os.path.join(job.output_dir, CHECKPOINT_DIR))
    start = int(latest.rsplit("-", 1)[1]) if latest else 0
    if start > config.num_iterations:
        note = f"its checkpoint is at iteration {start}; pass a larger --num_iterations"
        return Plan(job, config, result=JobResult(job.name, "refused", start, note=note))
    return Plan(job, config, start)


def why_not_batched(config: Config, paper: Config) -> str | None:
    """None when the batched step reproduces this config's single run, else the reason."""
    if config.style and "," in config.style:
        return "a blend of styles"
    for field in config_lib.settings():
        unknown = field.name not in BATCHED_SETTINGS
        if unknown and getattr(config, field.name) != getattr(paper, field.name):
            return f"--{field.name}"
    return None


def default_batch_size(config: Config) -> int:
    """On GPUs and TPUs as many images as the memory estimate allows, at most MAX_BATCH.

    On CPUs 1: there one image already keeps every core busy, and 4 images per step took 9%
    longer per image than 1 (docs/performance.md), so a CPU batch saves only the start-ups.
    """
    if not (tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU")):
        return 1
    return memory.batch_capacity(
        config.width, config.height, build_lib.layers_of(config), MAX_BATCH
    )


class _JobHooks:
    """One job's writers (trace.csv, <i>.png, TensorBoard) and its checkpoints."""

    def __init__(self, member: Member, checkpoints: RunCheckpoints, start: int, seconds: float):
        config = member.config
        self.trace = TraceCsvWriter(
            os.path.join(config.output_dir, stylize.TRACE_FILE),
            keep_before=start - 1 if start else None,
        )
        writers = [self.trace, ImageFileWriter(config.output_dir)]
        if config.tensorboard:
            path = os.path.join(config.output_dir, stylize.TENSORBOARD_DIR)
            writers.append(TensorBoardWriter(path))
        self.writers = MultiWriter(writers)
        self.checkpoints = checkpoints
        self.offset = seconds


class _BatchHooks:
    """The loop's hooks for a batch: every job's share of each observation to its own files."""

    def __init__(self, optimizer: BatchedAdam, jobs: Sequence[_JobHooks], progress: BatchProgress):
        self._optimizer = optimizer
        self._jobs = jobs
        self._progress = progress
        self._started = time.perf_counter()

    def seconds(self, job: _JobHooks) -> float:
        return job.offset + time.perf_counter() - self._started

    def on_costs(self, iteration: int, terms: Mapping[str, float]) -> None:
        del terms  # the first job's only; every job's are in the optimizer's last terms
        values = {name: np.asarray(value) for name, value in self._optimizer.last_terms.items()}
        for index, job in enumerate(self._jobs):
            scalars = {name: float(value[index]) for name, value in values.items()}
            job.writers.write_scalars(iteration, {**scalars, "seconds": self.seconds(job)})

    def on_image(self, iteration: int, image: np.ndarray) -> None:
        members = self._optimizer.members
        for index, (job, member) in enumerate(zip(self._jobs, members, strict=True)):
            pixels = io.denormalize(image[index : index + 1], member.config.means)
            job.writers.write_images(iteration, {"generated": pixels})

    def on_checkpoint(self, updates: int) -> None:
        for job in self._jobs:
            job.checkpoints.save(updates, self.seconds(job))
            job.writers.flush()

    def on_step(self, iteration: int) -> None:
        self._progress.advance_iterations(len(self._jobs))

    def close(self) -> None:
        for job in self._jobs:
            job.writers.close()


class BatchRunner:
    """Runs planned jobs: batched where it can, `stylize` one by one where it cannot."""

    def __init__(self, config: Config, batch_size: int, strategy: tf.distribute.Strategy):
        self._config = config
        self._batch_size = batch_size
        self._strategy = strategy
        self._weights: vgg.VggWeights | None = None
        self._extractor = None

    def _extractor_for(self, config: Config):
        """The VGG features, built once per batch command, mirrored on every replica."""
        if self._extractor is None:
            self._weights = build_lib.load_weights(config)
            with self._strategy.scope():
                precision, why = devices.resolve_precision(config.precision)
                logging.info("Precision: %s (%s)", precision, why)
                self._extractor = vgg.build_feature_extractor(
                    self._weights, build_lib.layers_of(config), config.pooling, precision
                )
        return self._extractor

    def run(self, plans: Sequence[Plan], progress: BatchProgress) -> Outcome:
        results: dict[str, JobResult] = {p.job.name: p.result for p in plans if p.result}
        pending = [plan for plan in plans if plan.result is None]
        paper = config_lib.make_config(config_lib.load_config_table("paper"))
        stopped_by = None
        single = [plan for plan in pending if why_not_batched(plan.config, paper)]
        for plan in single:
            reason = why_not_batched(plan.config, paper)
            logging.info("%s runs alone: the batched step does not cover %s", plan.job.name, reason)
        batched = [plan for plan in pending if plan not in single]
        replicas = local_replicas(self._strategy)
        for group in _groups(batched, self._batch_size * self._strategy.num_replicas_in_sync):
            stopped_by, done = self._run_group(group, replicas, progress)
            results.update(done)
            if stopped_by:
                break
        local_ids = {replica_id for replica_id, _ in replicas}
        for index, plan in enumerate(single if not stopped_by else ()):
            if index % self._strategy.num_replicas_in_sync not in local_ids:
                results[plan.job.name] = JobResult(plan.job.name, "on another worker")
                progress.finish_jobs(1, plan.config.num_iterations - plan.start)
                continue
            result = self._run_single(plan, progress)
            results[plan.job.name] = result
            if result.status == "interrupted":
                stopped_by = result.note
                break
        ordered = [
            results.get(p.job.name) or JobResult(p.job.name, "not started", p.start) for p in plans
        ]
        return Outcome(ordered, stopped_by)

    def _run_single(self, plan: Plan, progress: BatchProgress) -> JobResult:
        """The job through `nst-tf`'s own run, resumed when its folder asks for it."""
        job, config = plan.job, plan.config
        resume = plan.start > 0
        try:
            result = stylize.stylize(config, resume=resume)
        except UserError as err:
            return JobResult(job.name, "failed", note=str(err))
        except stylize.RunStoppedError as stop:
            saved = record.read_record(job.output_dir)
            status = saved["status"]
            note = saved.get("signal", "") if status == "interrupted" else str(stop)
            return JobResult(
                job.name,
                status,
                saved["completed_iterations"],
                last_costs(job.output_dir),
                saved["wall_seconds"],
                note,
            )
        finally:
            progress.finish_jobs(1, config.num_iterations - plan.start)  # counted by its own line
        return JobResult(
            job.name, "completed", config.num_iterations, last_costs(job.output_dir), result.seconds
        )

    def _prepare(
        self, plan: Plan, inputs: build_lib.Inputs, device: str
    ) -> tuple[Member, _JobHooks]:
        """One job's targets and optimizer state on `device`, restored when it resumes."""
        config = plan.config
        member = make_member(config, inputs, self._extractor_for(config), device)
        optimizer = member.optimizer
        checkpoints = RunCheckpoints(
            config.output_dir, optimizer.state(), max_to_keep=config.keep_checkpoints
        )
        if plan.start:
            start, seconds = checkpoints.restore_latest()
        else:
            start, seconds = 0, 0.0
            checkpoint_dir = os.path.join(config.output_dir, CHECKPOINT_DIR)
            if os.path.isdir(checkpoint_dir):
                shutil.rmtree(checkpoint_dir)  # an earlier run that never checkpointed
            io.save_image(
                os.path.join(config.output_dir, stylize.INITIAL_IMAGE),
                io.denormalize(optimizer.image.numpy(), config.means),
            )
        return member, _JobHooks(member, checkpoints, start, seconds)

    def _run_group(
        self, group: Sequence[Plan], replicas: list[tuple[int, str]], progress: BatchProgress
    ) -> tuple[str | None, dict[str, JobResult]]:
        results: dict[str, JobResult] = {}

        def failed(plan: Plan, err: UserError) -> None:
            results[plan.job.name] = JobResult(plan.job.name, "failed", note=str(err))
            progress.finish_jobs(1, plan.config.num_iterations - plan.start)

        local = {replica_id: position for position, (replica_id, _) in enumerate(replicas)}
        total = self._strategy.num_replicas_in_sync
        by_replica: list[list[tuple[Plan, Member, _JobHooks]]] = [[] for _ in replicas]
        for index, plan in enumerate(group):
            # Contiguous shares, the same on every worker, so that each job runs exactly once
            # and concatenating the replicas' results keeps the job order.
            replica = index * total // len(group)
            if replica not in local:
                results[plan.job.name] = JobResult(plan.job.name, "on another worker")
                progress.finish_jobs(1, plan.config.num_iterations - plan.start)
                continue
            try:
                inputs = build_lib.load_inputs(plan.config)
                stylize.prepare_output_dir(plan.config.output_dir)
                with _quiet_retracing():
                    member, hooks = self._prepare(plan, inputs, replicas[local[replica]][1])
            except UserError as err:
                failed(plan, err)
                continue
            by_replica[local[replica]].append((plan, member, hooks))
        loaded = [item for share in by_replica for item in share]
        if not loaded:
            return None, results
        optimizer = BatchedAdam(
            self._strategy,
            self._extractor,
            loaded[0][1].config,
            [[member for _, member, _ in share] for share in by_replica],
        )
        jobs = [hooks for _, _, hooks in loaded]
        hooks = _BatchHooks(optimizer, jobs, progress)
        config = loaded[0][1].config
        provenance = self._weights.provenance
        start = optimizer.updates
        logging.info(
            "Batch of %d from iteration %d on %d device(s): %s",
            len(loaded),
            start,
            len(replicas),
            ", ".join(plan.job.name for plan, _, _ in loaded),
        )
        for _, member, job in loaded:
            record.write_record(member.config, "running", start, job.offset, provenance)

        def finish(status: str, completed: int, **extra) -> None:
            hooks.close()
            images = optimizer.image.numpy()
            for index, (plan, member, job) in enumerate(loaded):
                member_config = member.config
                pixels = io.denormalize(images[index : index + 1], member_config.means)
                io.save_image(
                    os.path.join(member_config.output_dir, stylize.GENERATED_IMAGE), pixels
                )
                seconds = hooks.seconds(job)
                record.write_record(member_config, status, completed, seconds, provenance, **extra)
                if status == "completed":
                    io.save_image(
                        os.path.join(member_config.output_dir, stylize.SIDE_BY_SIDE),
                        io.side_by_side(member.inputs.content, member.inputs.styles[0], pixels),
                    )
                results[plan.job.name] = JobResult(
                    plan.job.name,
                    status,
                    completed,
                    last_costs(member_config.output_dir),
                    seconds,
                    extra.get("signal", ""),
                )

        try:
            with signals.stop_requests() as stop_requested:
                run_loop(
                    optimizer,
                    config.num_iterations,
                    config.log_every,
                    config.save_every,
                    config.checkpoint_every,
                    hooks,
                    stop_requested,
                )
        except StoppedError as stop:
            finish("interrupted", stop.updates, signal=stop.reason)
            progress.finish_jobs(len(loaded))
            return stop.reason, results
        except DivergedError:
            # One job's cost became non-finite: every job of the group continues alone from its
            # last checkpoint, so only the one that diverges stops with the single run's report.
            hooks.close()
            logging.warning("A job of this batch diverged; its jobs continue one by one")
            for plan, _, _ in loaded:
                resumed = dataclasses.replace(plan, start=_latest_updates(plan.job.output_dir))
                results[plan.job.name] = self._run_single(resumed, progress)
            return None, results
        finish("completed", config.num_iterations)
        progress.finish_jobs(len(loaded))
        return None, results


@contextlib.contextmanager
def _quiet_retracing() -> Iterator[None]:
    """Hides TensorFlow's retracing warning while a job's targets are computed.

    `compute_targets` traces a fresh function for each job by design (once per run in `nst-tf`),
    so in a batch TensorFlow would warn about retracing for every job after the fifth.
    """
    logger = std_logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(std_logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _latest_updates(output_dir: str) -> int:
    latest = tf.train.latest_checkpoint(os.path.join(output_dir, CHECKPOINT_DIR))
    return int(latest.rsplit("-", 1)[1]) if latest else 0


def _groups(plans: Sequence[Plan], capacity: int) -> list[list[Plan]]:
    """Plans of the same working size and start iteration, at most `capacity` per group."""
    by_key: dict[tuple[int, int, int], list[Plan]] = {}
    for plan in plans:
        key = (plan.config.width, plan.config.height, plan.start)
        by_key.setdefault(key, []).append(plan)
    return [
        members[i : i + capacity]
        for members in by_key.values()
        for i in range(0, len(members), capacity)
    ]


def run_batch(
    config: Config,
    jobs: Sequence[Job],
    batch_size: int | None,
    strategy: tf.distribute.Strategy,
) -> Outcome:
    """Plans every job, runs what is left and returns each job's result, in job order."""
    config = dataclasses.replace(config, vgg_path=locate.resolve_vgg_path(config.vgg_path))
    plans = [
        plan_job(job, dataclasses.replace(config, **_paths(job)))
        for job in jobs
    ]  # fmt: skip
    size = batch_size or default_batch_size(config)
    remaining = sum(config.num_iterations - p.start for p in plans if p.result is None)
    progress = BatchProgress(len(plans), remaining, done=sum(1 for p in plans if p.result))
    try:
        return BatchRunner(config, size, strategy).run(plans, progress)
    finally:
        progress.close()


def _paths(job: Job) -> dict[str, str]:
    return {"content": job.content, "style": job.style, "output_dir": job.output_dir}

"""A batch of jobs: plan each one's folder, run the rest in groups, report every job.

Each job's folder is planned by the run folder (nst_tf.outputs.run_folder) as nst-tf's is:
start, resume from its newest intact checkpoint, skip a finished run, or refuse a folder of other
settings. What is about many jobs lives here: jobs that start from the same iteration at the
same working size run together, up to batch_size per device, in the batched step
(nst_tf/batch/batched.py) whose slots and trace serve every group of that size; a job whose
image is missing or unreadable fails alone. A config the batched step does not implement (an
optimizer other than Adam, --scales, a term whose targets do not stack) runs each job through
nst-tf's own `stylize.run_planned`, one after another. A signal stops the batch after the
current step with every running job checkpointed and marked interrupted; the same command
resumes them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf import build as build_lib
from nst_tf import stylize
from nst_tf.batch.batched import BatchedAdam, local_replicas
from nst_tf.batch.jobs import Job
from nst_tf.batch.progress import BatchProgress
from nst_tf.batch.summary import JobResult, last_costs
from nst_tf.config import Config, paper_settings
from nst_tf.errors import UserError
from nst_tf.objective.objective import Objective
from nst_tf.objective.terms import make_terms
from nst_tf.optim.loop import DivergedError, Schedule, StoppedError, run_loop
from nst_tf.outputs.run_folder import RESUMABLE_CHANGES, Plan, RunFolder, RunOutputs
from nst_tf.runtime import devices, memory, signals
from nst_tf.weights import locate

MAX_BATCH = 8


@dataclasses.dataclass(frozen=True)
class Planned:
    """A job, its config and what its folder asks for."""

    job: Job
    config: Config
    folder: RunFolder
    plan: Plan


@dataclasses.dataclass
class Outcome:
    """Every job's result in job order, and the signal that stopped the batch, if one did."""

    results: list[JobResult]
    stopped_by: str | None = None


def plan_job(job: Job, config: Config) -> Planned:
    """Reads the job's folder (config.json, checkpoints) to decide what to do."""
    folder = RunFolder(job.output_dir, config.to_dict(), paper_settings())
    allowed = RESUMABLE_CHANGES if config.scales is None else ()
    try:
        plan = folder.plan(stylize.total_iterations(config), "auto", allowed)
    except UserError as err:
        plan = Plan("refuse", note=str(err))
    return Planned(job, config, folder, plan)


def why_not_batched(config: Config) -> str | None:
    """None when the batched step implements this config, else what it lacks."""
    if config.optimizer != "adam":
        return f"--optimizer={config.optimizer} (the batched step is Adam's)"
    if config.scales is not None:
        return "--scales (one size per step)"
    if config.smooth_local_affine:
        return "--smooth_local_affine (a post-process of nst-tf's own run)"
    for term in make_terms(config):
        if not term.batchable:
            return f"the {term.name} term (its targets do not stack across jobs)"
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


class _JobProgress:
    """The batch's progress line, advanced by a job that runs alone (nst-tf's run)."""

    def __init__(self, progress: BatchProgress):
        self._progress = progress

    def update(self, iteration: int) -> None:
        self._progress.advance_iterations(1)

    def clear(self) -> None:
        self._progress.clear()


@dataclasses.dataclass
class _Member:
    """A job of a batched group: its folder's hooks, its render and its images."""

    planned: Planned
    outputs: RunOutputs
    inputs: build_lib.Inputs


class _BatchHooks:
    """The loop's hooks for a group: every job's share of each observation to its own folder."""

    def __init__(self, optimizer: BatchedAdam, members: Sequence[_Member], progress: BatchProgress):
        self._optimizer = optimizer
        self._members = members
        self._progress = progress

    def on_costs(self, iteration: int, terms: Mapping[str, float]) -> None:
        del terms  # the first job's only; every job's are in the optimizer's last terms
        values = {name: np.asarray(value) for name, value in self._optimizer.last_terms.items()}
        for index, member in enumerate(self._members):
            scalars = {name: float(value[index]) for name, value in values.items()}
            member.outputs.on_costs(iteration, scalars)

    def on_image(self, iteration: int, image: np.ndarray) -> None:
        for index, member in enumerate(self._members):
            member.outputs.on_image(iteration, image[index : index + 1])

    def on_checkpoint(self, updates: int) -> None:
        for member in self._members:
            member.outputs.on_checkpoint(updates)

    def on_step(self, iteration: int) -> None:
        self._progress.advance_iterations(len(self._members))

    def close(self) -> None:
        for member in self._members:
            member.outputs.close()


class BatchRunner:
    """Runs planned jobs: batched where it can, nst-tf's run one by one where it cannot."""

    def __init__(self, config: Config, batch_size: int, strategy: tf.distribute.Strategy):
        self._config = config
        self._batch_size = batch_size
        self._strategy = strategy
        self._weights = None
        self._objective: Objective | None = None
        self._precision: dict[str, str] | None = None
        self._optimizers: dict[tuple, BatchedAdam] = {}

    def _weights_once(self, config: Config):
        if self._weights is None:
            self._weights = build_lib.load_weights(config)
        return self._weights

    def _objective_once(self, config: Config) -> Objective:
        """The objective over VGG, built once per batch command, mirrored on every replica."""
        if self._objective is None:
            weights = self._weights_once(config)
            self._precision = build_lib.resolve_precision(config)
            with self._strategy.scope():
                self._objective = build_lib.make_objective(config, weights, self._precision["used"])
        return self._objective

    def run(self, planned: Sequence[Planned], progress: BatchProgress) -> Outcome:
        results: dict[str, JobResult] = {}
        pending = []
        for item in planned:
            if item.plan.action == "skip":
                results[item.job.name] = JobResult(
                    item.job.name,
                    f"skipped ({item.plan.note})",
                    item.plan.start,
                    last_costs(item.job.output_dir),
                    float(item.plan.saved.get("wall_seconds", 0.0)),
                )
            elif item.plan.action == "refuse":
                results[item.job.name] = JobResult(
                    item.job.name, "refused", item.plan.start, note=item.plan.note
                )
            else:
                pending.append(item)
        reason = why_not_batched(self._config)
        single = pending if reason else []
        if single:
            logging.info("Jobs run one by one: the batched step does not implement %s", reason)
        stopped_by = None
        replicas = local_replicas(self._strategy)
        if not single:
            for group in _groups(pending, self._batch_size * self._strategy.num_replicas_in_sync):
                stopped_by, done = self._run_group(group, replicas, progress)
                results.update(done)
                if stopped_by:
                    break
        local_ids = {replica_id for replica_id, _ in replicas}
        for index, item in enumerate(single if not stopped_by else ()):
            if index % self._strategy.num_replicas_in_sync not in local_ids:
                results[item.job.name] = JobResult(item.job.name, "on another worker")
                progress.finish_jobs(1, _iterations_left(item))
                continue
            result = self._run_single(item, progress)
            results[item.job.name] = result
            if result.status == "interrupted":
                stopped_by = result.note
                break
        ordered = [
            results.get(p.job.name) or JobResult(p.job.name, "not started", p.plan.start)
            for p in planned
        ]
        return Outcome(ordered, stopped_by)

    def _run_single(self, item: Planned, progress: BatchProgress) -> JobResult:
        """The job through nst-tf's own run, as its folder's plan says."""
        job = item.job
        done_before = progress.iterations_done
        try:
            result = stylize.run_planned(
                item.config,
                item.folder,
                item.plan,
                _JobProgress(progress),
                self._weights_once(item.config),
            )
        except UserError as err:
            progress.finish_jobs(
                1, _iterations_left(item) - (progress.iterations_done - done_before)
            )
            return JobResult(job.name, "failed", note=str(err))
        except stylize.RunStoppedError as stop:
            saved = item.folder.read_record()
            progress.finish_jobs(
                1, _iterations_left(item) - (progress.iterations_done - done_before)
            )
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
        progress.finish_jobs(1)
        total = stylize.total_iterations(item.config)
        return JobResult(job.name, "completed", total, last_costs(job.output_dir), result.seconds)

    def _optimizer_for(self, objective: Objective, shape: tuple, per_replica: int) -> BatchedAdam:
        """One set of slots (and one trace) per image shape, reused by every group of it."""
        key = (shape, per_replica)
        if key not in self._optimizers:
            config = self._config
            with self._strategy.scope():
                self._optimizers[key] = BatchedAdam(
                    self._strategy,
                    objective,
                    shape,
                    per_replica,
                    config.learning_rate,
                    devices.resolve_jit(config.jit),
                )
        return self._optimizers[key]

    def _run_group(
        self, group: Sequence[Planned], replicas: list[tuple[int, str]], progress: BatchProgress
    ) -> tuple[str | None, dict[str, JobResult]]:
        results: dict[str, JobResult] = {}
        objective = self._objective_once(group[0].config)
        local = {replica_id: position for position, (replica_id, _) in enumerate(replicas)}
        total = self._strategy.num_replicas_in_sync
        shares: list[list[tuple[Planned, build_lib.Inputs]]] = [[] for _ in replicas]
        targets: list[list] = [[] for _ in replicas]
        starts: list[list[np.ndarray]] = [[] for _ in replicas]
        for index, item in enumerate(group):
            # Contiguous shares, the same on every worker, so that each job runs exactly once
            # and concatenating the replicas' results keeps the job order.
            replica = index * total // len(group)
            if replica not in local:
                results[item.job.name] = JobResult(item.job.name, "on another worker")
                progress.finish_jobs(1, _iterations_left(item))
                continue
            try:
                inputs = build_lib.load_inputs(item.config)
                job_targets, start = build_lib.prepare_job(item.config, inputs, objective)
                item.folder.check_writable()
            except UserError as err:
                results[item.job.name] = JobResult(item.job.name, "failed", note=str(err))
                progress.finish_jobs(1, _iterations_left(item))
                continue
            shares[local[replica]].append((item, inputs))
            targets[local[replica]].append(job_targets)
            starts[local[replica]].append(start)
        loaded = [entry for share in shares for entry in share]
        if not loaded:
            return None, results
        shape = tuple(starts[next(i for i, s in enumerate(starts) if s)][0].shape)
        per_replica = min(self._batch_size, math.ceil(len(group) / total))
        optimizer = self._optimizer_for(objective, shape, per_replica)
        slots = optimizer.load([len(share) for share in shares])
        members = []
        for slot, (item, inputs), start in zip(
            slots, loaded, [s for share in starts for s in share], strict=True
        ):
            folder = item.folder
            folder.weights, folder.precision = self._weights.provenance, self._precision
            render = build_lib.renderer(item.config, inputs.content)
            folder.begin(item.plan, render(start))
            outputs = folder.outputs(
                item.plan, item.config.keep_checkpoints, item.config.tensorboard, paper_log=False
            )
            outputs.render = render
            if item.plan.action == "resume":
                outputs.track(slot.state(), item.plan.checkpoint)
            else:
                slot.reset(start)
                outputs.track(slot.state())
            folder.write_record("running", item.plan.start, outputs.seconds())
            members.append(_Member(item, outputs, inputs))
        hooks = _BatchHooks(optimizer, members, progress)
        config = group[0].config
        logging.info(
            "Batch of %d from iteration %d on %d device(s): %s",
            len(members),
            optimizer.updates,
            len(replicas),
            ", ".join(member.planned.job.name for member in members),
        )
        schedule = Schedule(config.log_every, config.save_every, config.checkpoint_every)
        ended: StoppedError | DivergedError | None = None
        try:
            with signals.stop_requests() as stop_requested:
                run_loop(
                    optimizer,
                    optimizer.targets(targets),
                    config.num_iterations,
                    schedule,
                    hooks,
                    stop_requested,
                )
        except (StoppedError, DivergedError) as err:
            ended = err
        finally:
            hooks.close()
        if isinstance(ended, DivergedError):
            # One job's cost became non-finite: every job of the group continues alone from its
            # last checkpoint, so only the one that diverges stops with the single run's report.
            logging.warning("A job of this batch diverged; its jobs continue one by one")
            for member in members:
                replanned = plan_job(member.planned.job, member.planned.config)
                results[member.planned.job.name] = self._run_single(replanned, progress)
            return None, results
        status, completed = "completed", config.num_iterations
        extra = {}
        if isinstance(ended, StoppedError):
            status, completed, extra = "interrupted", ended.updates, {"signal": ended.reason}
        images = optimizer.image.numpy()
        for index, member in enumerate(members):
            folder, outputs = member.planned.folder, member.outputs
            pixels = outputs.render(images[index : index + 1])
            panels = stylize.panels(member.inputs) if status == "completed" else ()
            folder.finish(status, pixels, completed, outputs.seconds(), panels, **extra)
            results[member.planned.job.name] = JobResult(
                member.planned.job.name,
                status,
                completed,
                last_costs(folder.path),
                outputs.seconds(),
                extra.get("signal", ""),
            )
        progress.finish_jobs(len(members))
        return (ended.reason if ended else None), results


def _iterations_left(item: Planned) -> int:
    return stylize.total_iterations(item.config) - item.plan.start


def _groups(planned: Sequence[Planned], capacity: int) -> list[list[Planned]]:
    """Jobs of the same working size and start iteration, at most `capacity` per group."""
    by_key: dict[tuple, list[Planned]] = {}
    for item in planned:
        try:
            size = stylize.run_schedule(item.config)[0]
            key = (size.width, size.height, item.plan.start)
        except UserError:
            key = ("unreadable", item.job.name)  # fails alone when it loads
        by_key.setdefault(key, []).append(item)
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
    planned = [plan_job(job, dataclasses.replace(config, **_paths(job))) for job in jobs]
    size = batch_size or default_batch_size(config)
    active = [p for p in planned if p.plan.action in ("start", "resume")]
    remaining = sum(_iterations_left(p) for p in active)
    progress = BatchProgress(len(planned), remaining, done=len(planned) - len(active))
    try:
        return BatchRunner(config, size, strategy).run(planned, progress)
    finally:
        progress.close()


def _paths(job: Job) -> dict[str, str]:
    return {"content": job.content, "style": job.style, "output_dir": job.output_dir}

"""`nst-tf-batch`: many content x style jobs with one command, resumable, one summary.

nst-tf-batch --contents=photos/ --styles='styles/*.jpg' --output_dir=out
nst-tf-batch --manifest=jobs.csv --output_dir=out --num_iterations=400 --batch_size=4

Every `nst-tf` flag applies to each job (the flags are `nst_tf.cli`'s, generated from the
Config fields); each job writes the usual outputs to output_dir/<content-stem>__<style-stem>.
Re-running the same command skips finished jobs and resumes interrupted ones.
"""

from __future__ import annotations

import json
import os
import sys

from absl import app, flags, logging

from nst_tf import __version__, cli
from nst_tf.console import early_strategy, run_console_script
from nst_tf.errors import UserError
from nst_tf.runtime import distribute

_CONTENTS = flags.DEFINE_string(
    "contents", None, "Content images: a folder, a glob or a comma list of files/folders/globs."
)
_STYLES = flags.DEFINE_string(
    "styles", None, "Style images, as --contents; every content is paired with every style."
)
_MANIFEST = flags.DEFINE_string(
    "manifest",
    None,
    "A CSV of jobs instead of --contents/--styles: rows content,style[,output folder name].",
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size",
    None,
    "Jobs optimised together per device. Unset: 1 on CPUs (measured faster per image); on "
    "GPUs/TPUs as many as the memory estimate allows, at most 8.",
)
_DISTRIBUTE = flags.DEFINE_enum(
    "distribute",
    "auto",
    distribute.STRATEGIES,
    "tf.distribute strategy: auto = every local GPU when there are several, else one device.",
)
_TPU = flags.DEFINE_string("tpu", "", "TPU address for --distribute=tpu (empty: a TPU VM's own).")

EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


def _summary_name() -> str:
    """summary.csv; with several workers, one file per worker, since each knows only its jobs."""
    if _DISTRIBUTE.value != "multi_worker":
        return "summary.csv"
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    return f"summary-{task.get('type', 'worker')}{task.get('index', 0)}.csv"


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if cli.VERSION.value:
        print(f"nst-tf-batch {__version__}")
        return
    from nst_tf.runtime import environment

    started = environment.configure(logging.get_verbosity(), early_strategy(_DISTRIBUTE.value))
    from nst_tf.batch import jobs, runner, summary

    try:
        config = cli.config_from_flags()
        if cli.RESUME.value:
            raise UserError(
                "nst-tf-batch resumes by itself: run the same command again, without --resume"
            )
        if config.content or config.style:
            raise UserError(
                "nst-tf-batch takes --contents and --styles (or --manifest), not --content/--style"
            )
        if _BATCH_SIZE.value is not None and _BATCH_SIZE.value < 1:
            raise UserError(f"--batch_size must be a positive integer, got {_BATCH_SIZE.value}")
        batch = jobs.discover(_CONTENTS.value, _STYLES.value, _MANIFEST.value, config.output_dir)
        strategy = started or distribute.make_strategy(_DISTRIBUTE.value, _TPU.value)
        outcome = runner.run_batch(config, batch, _BATCH_SIZE.value, strategy)
        print(summary.table(outcome.results))
        print(f"summary: {summary.write_csv(config.output_dir, outcome.results, _summary_name())}")
    except UserError as err:
        print(f"nst-tf-batch: error: {err}", file=sys.stderr)
        sys.exit(1)
    if outcome.stopped_by:
        print(
            f"nst-tf-batch: stopped by {outcome.stopped_by}; running jobs are checkpointed: "
            "run the same command again to resume them",
            file=sys.stderr,
        )
        sys.exit(EXIT_CODES.get(outcome.stopped_by, 1))
    if any(result.status in ("failed", "refused") for result in outcome.results):
        sys.exit(1)


def entry_point() -> None:
    run_console_script(main, cli.__name__, __name__)


if __name__ == "__main__":
    entry_point()

"""What a batch did, job by job: the table printed at the end and the same rows in summary.csv."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os

from nst_tf.files import write_text
from nst_tf.outputs.writers import read_trace

SUMMARY_FILE = "summary.csv"
COLUMNS = (
    "job",
    "status",
    "iterations",
    "total_cost",
    "content_cost",
    "style_cost",
    "seconds",
    "note",
)


@dataclasses.dataclass(frozen=True)
class JobResult:
    """One job's outcome; `note` says why a job was skipped, refused or failed."""

    job: str
    status: str
    iterations: int = 0
    costs: tuple[float, float, float] | None = None  # the last logged total, content, style
    seconds: float = 0.0
    note: str = ""


def last_costs(output_dir: str) -> tuple[float, float, float] | None:
    """The last row of a job's trace.csv (also for jobs an earlier batch finished); a term the
    objective lacks is NaN (printed empty)."""
    path = os.path.join(output_dir, "trace.csv")
    if not os.path.isfile(path):
        return None
    rows = read_trace(path)
    if not rows:
        return None
    last = rows[-1]
    return tuple(
        last.get(column, math.nan) for column in ("total_cost", "content_cost", "style_cost")
    )


def _cells(result: JobResult) -> list[str]:
    costs = [
        "" if math.isnan(value) else f"{value:.6g}" for value in result.costs or [math.nan] * 3
    ]
    cells = [result.job, result.status, str(result.iterations), *costs]
    return [*cells, f"{result.seconds:.1f}", result.note]


def table(results: list[JobResult]) -> str:
    """Aligned columns for the terminal, one row per job; the note, often long, comes last."""
    rows = [list(COLUMNS), *(_cells(result) for result in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    lines = []
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*padded, row[-1]]))
    return "\n".join(lines)


def write_csv(output_dir: str, results: list[JobResult], name: str = SUMMARY_FILE) -> str:
    path = os.path.join(output_dir, name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_cells(result) for result in results)
    os.makedirs(output_dir, exist_ok=True)
    write_text(path, out.getvalue())
    return path

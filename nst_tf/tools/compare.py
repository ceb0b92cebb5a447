"""The paper's printed cost trace and how a run's trace compares with it."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

from nst_tf.errors import UserError

COST_COLUMNS = ("total_cost", "content_cost", "style_cost")


def read_reported(path: str) -> list[dict[str, float]]:
    """A reported trace (e.g. configs/paper_trace.json): {"iterations": [{iteration, costs}]}."""
    try:
        with open(path) as handle:
            table = json.load(handle)
        rows = table["iterations"]
        return [
            {"iteration": int(row["iteration"]), **{c: float(row[c]) for c in COST_COLUMNS}}
            for row in rows
        ]
    except OSError as err:
        raise UserError(f"cannot read reported trace {path}: {err.strerror}") from None
    except (ValueError, KeyError, TypeError) as err:
        raise UserError(f"{path} is not a reported trace ({type(err).__name__}: {err})") from None


def relative_deviation(ours: float, reported: float) -> float:
    """(ours - reported) / |reported|; NaN when the reported value is zero."""
    return (ours - reported) / abs(reported) if reported else math.nan


def compare(
    ours: Sequence[Mapping[str, float]], reported: Sequence[Mapping[str, float]]
) -> list[dict[str, float]]:
    """One row per reported iteration that our trace also has: both values and deviations."""
    by_iteration = {int(row["iteration"]): row for row in ours}
    table = []
    for paper_row in reported:
        iteration = int(paper_row["iteration"])
        if iteration not in by_iteration:
            continue
        row: dict[str, float] = {"iteration": iteration}
        for column in COST_COLUMNS:
            row[f"{column}_ours"] = by_iteration[iteration][column]
            row[f"{column}_paper"] = paper_row[column]
            row[f"{column}_deviation"] = relative_deviation(
                by_iteration[iteration][column], paper_row[column]
            )
        table.append(row)
    return table


def comparison_markdown(table: Sequence[Mapping[str, float]]) -> str:
    """The comparison as a markdown table: ours, the paper's, and the signed deviation."""
    lines = [
        "| iteration | total (ours) | total (paper) | dev. | content (ours) | content (paper) "
        "| dev. | style (ours) | style (paper) | dev. |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in table:
        cells = [str(int(row["iteration"]))]
        for column in COST_COLUMNS:
            cells += [
                f"{row[f'{column}_ours']:.6g}",
                f"{row[f'{column}_paper']:.6g}",
                f"{row[f'{column}_deviation']:+.1%}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

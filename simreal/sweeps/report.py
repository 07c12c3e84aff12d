"""Summaries of a sweep: per-setting means with 95% intervals over seeds, a table, a plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simreal.atomic_io import write_atomic
from simreal.stats import mean_ci
from simreal.sweeps.run import metric_columns, short_id

GROUP_KEYS = ("algo", "dr", "terms")


@dataclass(frozen=True)
class Cell:
    """One setting's result on one env, over seeds."""

    mean: float
    ci95: float
    success: float
    seeds: int


def summarise(rows: list[dict[str, Any]], env_ids: list[str]) -> dict[tuple, dict[str, Cell]]:
    """Group rows by (algo, dr, terms, width); per env, mean and 95% t interval over seeds.

    The interval is over the seeds' mean returns (the spread between trained
    policies), not over evaluation episodes.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        key = (*(row[k] for k in GROUP_KEYS), float(row["width"]))
        groups.setdefault(key, []).append(row)
    summary = {}
    for key, members in groups.items():
        cells = {}
        for env_id in env_ids:
            mean_col, _, success_col = metric_columns(env_id)
            returns = [float(r[mean_col]) for r in members]
            mean, half = mean_ci(returns) if len(returns) > 1 else (returns[0], float("nan"))
            success = float(np.mean([float(r[success_col]) for r in members]))
            cells[env_id] = Cell(mean, half, success, len(members))
        summary[key] = cells
    return summary


def table(summary: dict[tuple, dict[str, Cell]], env_ids: list[str]) -> str:
    """A markdown table: one row per setting, return ± 95% interval and success per env."""
    multi = {k: len({key[i] for key in summary}) > 1 for i, k in enumerate(GROUP_KEYS)}
    head = [k for k in GROUP_KEYS if multi[k]] + ["width", "seeds"]
    head += [f"{short_id(e)} return" for e in env_ids] + [f"{short_id(e)} success" for e in env_ids]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted(summary):
        cells = summary[key]
        first = next(iter(cells.values()))
        values = [str(key[i]) for i, k in enumerate(GROUP_KEYS) if multi[k]]
        values += [f"{key[3]:g}", str(first.seeds)]
        values += [_pm(cells[e]) for e in env_ids]
        values += [f"{cells[e].success:.0%}" for e in env_ids]
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines)


def _pm(cell: Cell) -> str:
    if np.isnan(cell.ci95):
        return f"{cell.mean:.1f}"
    return f"{cell.mean:.1f} ± {cell.ci95:.1f}"


def plot(summary: dict[tuple, dict[str, Cell]], env_ids: list[str], path: Path, title: str) -> Path:
    """Return vs width with 95% intervals over seeds, one panel per env (PNG, atomic)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(
        1, len(env_ids), figsize=(4.5 * len(env_ids), 3.6), squeeze=False, sharex=True
    )
    groups = sorted({key[:3] for key in summary})
    for axis, env_id in zip(axes[0], env_ids, strict=True):
        for group in groups:
            keys = sorted(k for k in summary if k[:3] == group)
            widths = np.array([k[3] for k in keys])
            means = np.array([summary[k][env_id].mean for k in keys])
            halves = np.nan_to_num(np.array([summary[k][env_id].ci95 for k in keys]))
            label = " / ".join(str(g) for g in group)
            axis.errorbar(widths, means, yerr=halves, marker="o", capsize=3, label=label)
        axis.set_title(short_id(env_id))
        axis.set_xlabel("randomization width")
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("return (mean, 95% CI over seeds)")
    if len(groups) > 1:
        axes[0][-1].legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    write_atomic(path, lambda tmp: figure.savefig(tmp, dpi=110, format="png"))
    plt.close(figure)
    return path

"""The demo's comparison: its conditions, the rows over seeds, the table and the plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simreal.atomic_io import write_atomic
from simreal.stats import mean_ci

LEARNER_NAMES = {
    "bc": "BC of the expert",
    "bcrl": "BC -> RL (SAC, demos in every batch)",
    "target": "BC -> RL + target fine-tuning",
}


@dataclass(frozen=True)
class Condition:
    """One training condition of the comparison, as a sweep setting."""

    name: str
    dr: str
    width: float


def summarise(learner: str, condition: Condition, members: list[dict], task: str,
              real: str, prefix: str = "") -> dict:  # fmt: skip
    """One row of the comparison: mean return (95% CI) and success over the seeds.

    ``prefix`` picks the sweep columns to read (``"clone:"``: a bcrl run's clone).
    """
    from simreal.sweeps.run import metric_columns

    row = {"learner": learner, "condition": condition.name, "dr": condition.dr,
           "width": condition.width}  # fmt: skip
    for env_id, key in ((task, "nominal"), (real, "real")):
        mean_col, _, success_col = metric_columns(env_id, prefix)
        mean, half = mean_ci([r[mean_col] for r in members])
        success = float(np.mean([r[success_col] for r in members]))
        row |= {f"{key}_return": mean, f"{key}_ci95": half, f"{key}_success": success}
    row["seeds"] = len(members)
    return row


def format_table(results: dict) -> str:
    """The comparison as a markdown table."""
    lines = [
        "| learner | trained on | return, nominal | return, real proxy | success, real proxy |",
        "|---|---|---:|---:|---:|",
    ]
    for row in results["conditions"]:
        lines.append(
            f"| {LEARNER_NAMES.get(row['learner'], row['learner'].upper())} | {row['condition']} | "
            f"{row['nominal_return']:.1f} ± {row['nominal_ci95']:.1f} | "
            f"{row['real_return']:.1f} ± {row['real_ci95']:.1f} | {row['real_success']:.0%} |"
        )
    expert = results["expert_on_real"]
    lines.append(f"| expert controller | – | | {expert['return']:.1f} | {expert['success']:.0%} |")
    return "\n".join(lines)


def plot_conditions(results: dict, path: Path) -> None:
    """Bar charts, one panel per learner: return on the nominal model and on the real proxy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    learners = list(dict.fromkeys(r["learner"] for r in results["conditions"]))
    figure, axes = plt.subplots(1, len(learners), figsize=(6 * len(learners), 3.8), sharey=True)
    axes = np.atleast_1d(axes)
    for axis, learner in zip(axes, learners, strict=True):
        rows = [r for r in results["conditions"] if r["learner"] == learner]
        x = np.arange(len(rows))
        for offset, key, colour, label in (
            (-0.2, "nominal", "tab:blue", "nominal model"),
            (0.2, "real", "tab:red", "real proxy"),
        ):
            means = [r[f"{key}_return"] for r in rows]
            halves = [r[f"{key}_ci95"] for r in rows]
            axis.bar(x + offset, means, 0.4, yerr=halves, capsize=3, color=colour, label=label)
        axis.axhline(results["expert_on_real"]["return"], color="k", ls="--", lw=1,
                     label="expert on real proxy")  # fmt: skip
        axis.set_xticks(x, [r["condition"] for r in rows], fontsize=8)
        axis.set_title(LEARNER_NAMES.get(learner, learner.upper()))
    axes[0].set_ylabel(f"return (mean, 95% CI over {results['conditions'][0]['seeds']} seeds)")
    axes[0].legend(fontsize=8)
    figure.suptitle("Trained in sim, evaluated on the real proxy")
    figure.tight_layout()
    write_atomic(path, lambda tmp: figure.savefig(tmp, dpi=110, format="png"))
    plt.close(figure)

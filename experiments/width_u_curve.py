"""Is transfer a U-shaped curve in randomization width? And does DR beat the nominal policy?

The seed's claim: too little randomization and the policy does not survive the reality gap,
too much and it trades competence for robustness. This script runs (or resumes) a width
sweep with ``simreal.sweeps`` — one SAC policy per (width, seed) on the task's default DR
spec (or, with ``--algo bc``, one behaviour clone of the task's expert demonstrating under
that randomization) — evaluates every policy on the nominal model and the real proxy with
the same seeds, and tests the shape honestly:

* **DR vs nominal** (claim (a), MuJoCo version): real-proxy return at width 1 (the
  configured ranges) vs width 0 (nominal sim only), Welch t-test over seeds;
* **the U**: the best width on the real proxy, and Welch t-tests of it against the
  narrowest and the widest width. The U "appears" only if the best width is interior and
  beats both ends at p < 0.05.

    python experiments/width_u_curve.py [--task simreal/PendulumSwingup-v0] [--seeds 3]
    python experiments/width_u_curve.py --algo bc --steps 20000 --widths 0,0.5,1,2,3,4 \
        --out experiments/results/width_u_curve_bc

Writes <out>/analysis.json and <out>/u_curve.png (default experiments/results/width_u_curve/;
the sweep's results.csv and transfer.png beside them) and prints the table.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.stats

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.envs.registry import task_for
from simreal.learning.defaults import learner_kwargs, training_defaults
from simreal.stats import mean_ci
from simreal.sweeps import SweepConfig, resolve_dr, run
from simreal.sweeps.run import metric_columns


@dataclass(frozen=True)
class Args:
    """Command-line settings."""

    task: str
    widths: tuple[float, ...]
    seeds: int
    steps: int | None
    episodes: int
    jobs: int
    out: Path


# The sweep runs on a process pool whose workers re-import this script (spawn):
# everything happens in main(), behind the __main__ guard.
def main() -> None:
    """Run the script."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="simreal/PendulumSwingup-v0")
    parser.add_argument("--widths", default="0,0.25,0.5,1,1.5,2")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None, help="env steps per run (task default)")
    parser.add_argument(
        "--algo",
        default=None,
        help="sac, ppo, bc, bcrl or bcppo (default: the task's training defaults)",
    )
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("experiments/results/width_u_curve"))
    raw = parser.parse_args()
    args = Args(
        raw.task,
        tuple(float(w) for w in raw.widths.split(",")),
        raw.seeds,
        raw.steps,
        raw.episodes,
        raw.jobs,
        raw.out,
    )

    # 1. The sweep (resumable: rerunning this script keeps finished runs).
    real = task_for(args.task).real_id
    defaults = training_defaults(args.task)
    algo = raw.algo or defaults["algo"]
    config = SweepConfig(
        task=args.task,
        widths=args.widths,
        seeds=args.seeds,
        steps=args.steps or defaults["steps"],
        eval_on=(real,),
        algos=(algo,),
        dr=resolve_dr(args.task, ["default"]),
        episodes=args.episodes,
        n_envs=defaults["n_envs"],
        algo_kwargs={algo: learner_kwargs(args.task, algo)},
    )
    summary = run(config, args.out, jobs=args.jobs)

    # 2. Per-width returns over seeds, on both plants.
    columns = {
        "real": metric_columns(real)[0],
        "nominal": metric_columns(args.task)[0],
        "real_success": metric_columns(real)[2],
        "nominal_success": metric_columns(args.task)[2],
    }
    by_width = {
        w: {
            key: np.array([r[column] for r in summary.rows if r["width"] == w])
            for key, column in columns.items()
        }
        for w in args.widths
    }

    def welch(a: np.ndarray, b: np.ndarray) -> float:
        """One-sided Welch p-value that mean(a) > mean(b)."""
        return float(scipy.stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue)

    widths = list(args.widths)
    real_means = [by_width[w]["real"].mean() for w in widths]
    best = widths[int(np.argmax(real_means))]
    narrow, wide = widths[0], widths[-1]
    interior = best not in (narrow, wide)
    best_real = by_width[best]["real"]
    p_best_vs_narrow = welch(best_real, by_width[narrow]["real"]) if best != narrow else 1.0
    p_best_vs_wide = welch(best_real, by_width[wide]["real"]) if best != wide else 1.0
    u_appears = interior and p_best_vs_narrow < 0.05 and p_best_vs_wide < 0.05
    dr_vs_nominal = (
        {
            "width0_real": float(by_width[0.0]["real"].mean()),
            "width1_real": float(by_width[1.0]["real"].mean()),
            "p_width1_better": welch(by_width[1.0]["real"], by_width[0.0]["real"]),
        }
        if 0.0 in by_width and 1.0 in by_width
        else None
    )

    # 3. Table, JSON, plot.
    lines = [
        f"| width | seeds | {args.task} return | success | {real} return | success |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    rows = []
    for w in widths:
        nominal_mean, nominal_half = mean_ci(by_width[w]["nominal"])
        real_mean, real_half = mean_ci(by_width[w]["real"])
        nominal_success, real_success = (
            float(by_width[w][key].mean()) for key in ("nominal_success", "real_success")
        )
        rows.append(
            {"width": w, "seeds": len(by_width[w]["real"]), "nominal": nominal_mean,
             "nominal_ci95": nominal_half, "real": real_mean, "real_ci95": real_half,
             "nominal_success": nominal_success, "real_success": real_success}
        )  # fmt: skip
        lines.append(
            f"| {w:g} | {rows[-1]['seeds']} | {nominal_mean:.1f} ± {nominal_half:.1f} | "
            f"{nominal_success:.0%} | {real_mean:.1f} ± {real_half:.1f} | {real_success:.0%} |"
        )
    print("\n".join(lines))
    print(
        f"\nbest width on the real proxy: {best:g}; "
        f"vs width {narrow:g}: p = {p_best_vs_narrow:.3f}, "
        f"vs width {wide:g}: p = {p_best_vs_wide:.3f} (one-sided Welch over seeds) -> "
        f"U {'appears' if u_appears else 'not established'}"
    )
    if dr_vs_nominal:
        print(
            "DR (width 1) vs nominal (width 0) on the real proxy: "
            f"{dr_vs_nominal['width1_real']:.1f} "
            f"vs {dr_vs_nominal['width0_real']:.1f}, p = {dr_vs_nominal['p_width1_better']:.3f}"
        )
    write_json_atomic(
        args.out / "analysis.json",
        {
            "task": args.task,
            "real_proxy": real,
            "algo": algo,
            "steps": config.steps,
            "rows": rows,
            "best_width": best,
            "p_best_vs_narrowest": p_best_vs_narrow,
            "p_best_vs_widest": p_best_vs_wide,
            "u_appears": u_appears,
            "dr_vs_nominal": dr_vs_nominal,
            "sweep_seconds": summary.seconds,
        },
    )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for key, colour, label in (("nominal", "tab:blue", "nominal model"), ("real", "tab:red", real)):
        means = [r[key] for r in rows]
        halves = [r[f"{key}_ci95"] for r in rows]
        axis.errorbar(widths, means, yerr=halves, marker="o", capsize=3, color=colour, label=label)
        for w in widths:
            axis.scatter(
                [w] * len(by_width[w][key]), by_width[w][key], s=8, color=colour, alpha=0.4
            )
    axis.set_xlabel("randomization width")
    axis.set_ylabel(f"return (mean, 95% CI over {args.seeds} seeds; dots: seeds)")
    label = {"bc": "BC", "bcrl": "BC -> SAC", "bcppo": "BC -> PPO"}.get(algo, algo.upper())
    axis.set_title(f"{label} on {args.task}: transfer vs width")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    write_atomic(args.out / "u_curve.png", lambda tmp: figure.savefig(tmp, dpi=110, format="png"))


if __name__ == "__main__":
    main()

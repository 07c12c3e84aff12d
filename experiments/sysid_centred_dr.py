"""Narrow DR centred on a sysid fit (independent or correlated) vs wide uncentred DR vs none.

"Measure the real robot to centre p(xi)": the end-to-end pipeline of ``simreal demo`` —
record an excitation log on the real proxy through its sensors, fit the model's parameters,
latency and encoder offset (a term of the simulated sensor in ``fit.yaml``), train on
the nominal model only, under the default spec at a large width, and under ``fit.yaml`` at
width 1 — by BC of the task's expert demonstrating under each randomization, and by that clone
fine-tuned by SAC with its demonstrations in every batch — with more seeds, then Welch tests
between conditions on the real proxy's return. ``fit.yaml`` comes in two forms from the same
fit (``--dr-forms``): independent uniforms over value +-2 SE, and normals drawn jointly with the
fit's covariance; each is a condition. ``--task simreal/PendulumSwingupSaturated-v0`` runs it on
the pendulum proxy whose motor saturates at 60%, an effect the fitted model lacks.

    python experiments/sysid_centred_dr.py [--task simreal/PendulumSwingup-v0] [--seeds 3]

Writes <out>/results.json, <out>/demo.png and <out>/comparison.json (default
experiments/results/sysid_centred_dr_<task name>/) and prints the table.
"""

from __future__ import annotations

import argparse
import itertools
import os
from pathlib import Path

import numpy as np
import scipy.stats

from simreal.atomic_io import write_json_atomic
from simreal.demo import DemoConfig, conditions, run_demo
from simreal.envs.registry import task_for
from simreal.sweeps.run import metric_columns


# The sweep runs on a process pool whose workers re-import this script (spawn):
# everything happens in main(), behind the __main__ guard.
def main() -> None:
    """Run the script."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="simreal/PendulumSwingup-v0")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--wide-width", type=float, default=2.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dr-forms", default="independent,correlated")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: experiments/results/sysid_centred_dr_<task>",
    )
    args = parser.parse_args()
    name = args.task.split("/")[-1].rsplit("-v", 1)[0]
    args.out = args.out or Path(f"experiments/results/sysid_centred_dr_{name}")

    config = DemoConfig(
        args.task, seeds=args.seeds, episodes=args.episodes, wide_width=args.wide_width,
        dr_forms=tuple(args.dr_forms.split(",")),
    )  # fmt: skip
    run_demo(config, args.out, jobs=args.jobs)

    # Per-seed real-proxy returns of each condition, read back from the sweeps' rows.
    import json

    real = task_for(args.task).real_id
    per_seed = {}
    for learner, prefix in (("BC", "clone:"), ("BC -> RL", "")):
        column = metric_columns(real, prefix)[0]
        for condition in conditions(config):
            folder = args.out / f"sweep_bcrl_{condition.dr}" / "results"
            rows = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
            per_seed[f"{learner}, {condition.name}"] = np.array(
                [r[column] for r in rows if r["width"] == condition.width]
            )
            if not per_seed[f"{learner}, {condition.name}"].size:
                raise SystemExit(f"{folder} holds no run of {condition.name}; rerun the demo.")
    tests = []
    for a, b in itertools.combinations(per_seed, 2):
        if a.split(",")[0] != b.split(",")[0]:
            continue  # compare conditions within a learner
        p = scipy.stats.ttest_ind(per_seed[a], per_seed[b], equal_var=False).pvalue
        tests.append({"a": a, "b": b, "mean_a": float(per_seed[a].mean()),
                      "mean_b": float(per_seed[b].mean()), "p_two_sided": float(p)})  # fmt: skip
        print(
            f"{a} vs {b}: {per_seed[a].mean():.1f} vs {per_seed[b].mean():.1f}, Welch p = {p:.3f}"
        )
    write_json_atomic(
        args.out / "comparison.json",
        {"per_seed_real_return": {k: v.tolist() for k, v in per_seed.items()}, "tests": tests},
    )


if __name__ == "__main__":
    main()

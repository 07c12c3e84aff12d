"""Wall time of a width sweep on the local process pool, against running its runs one by one.

Runs ``simreal sweep`` (6 widths x 3 seeds on the pendulum by default, the task's training
defaults) into a fresh folder with one worker per core, and prints the wall time beside the
sum of the runs' own train + evaluation times — what a serial loop over the same runs would
take — as a ratio (the pool's speed-up), plus the per-run times.

    python benchmarks/sweep_wall_time.py [--task simreal/PendulumSwingup-v0] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from simreal.envs.registry import task_for
from simreal.learning.defaults import training_defaults
from simreal.sweeps import SweepConfig, resolve_dr, run


# The sweep runs on a process pool whose workers re-import this script (spawn):
# everything happens in main(), behind the __main__ guard.
def main() -> None:
    """Run the script."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="simreal/PendulumSwingup-v0")
    parser.add_argument("--widths", default="0,0.25,0.5,1,1.5,2")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None, help="sweep folder (default: a temp dir)")
    args = parser.parse_args()

    defaults = training_defaults(args.task)
    algo = defaults["algo"]
    config = SweepConfig(
        task=args.task,
        widths=tuple(float(w) for w in args.widths.split(",")),
        seeds=args.seeds,
        steps=defaults["steps"],
        eval_on=(task_for(args.task).real_id,),
        algos=(algo,),
        dr=resolve_dr(args.task, ["default"]),
        n_envs=defaults["n_envs"],
        algo_kwargs={algo: defaults["algo_kwargs"].get(algo, {})},
    )
    out = args.out or Path(tempfile.mkdtemp(prefix="sweep_bench_")) / "sweep"
    start = time.perf_counter()
    summary = run(config, out, jobs=args.jobs)
    wall = time.perf_counter() - start
    if summary.skipped:
        raise SystemExit(f"{out} held finished runs: give a fresh --out to time a whole sweep.")
    per_run = np.array([r["train_seconds"] + r["eval_seconds"] for r in summary.rows])
    print(f"\n{len(per_run)} runs ({algo}, {config.steps} steps each) on {args.jobs} workers")
    print(f"wall time                 {wall / 60:6.1f} min")
    print(f"sum of run times (serial) {per_run.sum() / 60:6.1f} min")
    print(f"serial / pool             {per_run.sum() / wall:6.2f}x")
    spread = f"min {per_run.min():.1f}, max {per_run.max():.1f}"
    print(f"per run                   {per_run.mean():6.1f} s ({spread})")


if __name__ == "__main__":
    main()

"""DAgger lowers behaviour cloning's covariate-shift error (Ross, Gordon & Bagnell 2011).

On Reach: plain BC on expert rollouts against DAgger with the same number of
labelled states (BC gets as many expert episodes as DAgger labels in all its
rounds). Measured on each policy's own state distribution: the mean squared
action error against the expert (normalised by the action range) and the
success rate, over 3 seeds.

    python experiments/dagger_vs_bc.py            # about 10 minutes on 2 cores

Writes experiments/results/dagger_vs_bc.json and prints the README's table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from simreal.atomic_io import write_json_atomic
from simreal.learning.bc import BCConfig, train_bc
from simreal.learning.collect import collect
from simreal.learning.dagger import DaggerConfig, dagger, on_policy_error
from simreal.learning.evaluate import RunPolicy, evaluate
from simreal.stats import mean_ci

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--task", default="simreal/Reach-v0")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--rounds", type=int, default=4)
parser.add_argument("--episodes", type=int, default=5, help="episodes labelled per DAgger round")
parser.add_argument("--epochs", type=int, default=60)
parser.add_argument("--out", type=Path, default=Path("experiments/results/dagger_vs_bc"))
args = parser.parse_args()

results: dict[str, dict[str, list[float]]] = {"bc": {}, "dagger": {}}
for seed in range(args.seeds):
    bc_config = BCConfig(args.task, "gaussian", epochs=args.epochs, batch_size=64, seed=seed)
    # Plain BC: the same number of labelled episodes, all from the expert.
    demos = collect(args.task, "expert", episodes=args.episodes * (args.rounds + 1),
                    out=args.out / f"seed{seed}" / "expert.parquet", seed=seed * 1000)  # fmt: skip
    bc_run = train_bc(bc_config, demos, args.out / f"seed{seed}" / "bc", progress=False)
    dagger_run = dagger(DaggerConfig(bc_config, args.rounds, args.episodes, seed=seed),
                        args.out / f"seed{seed}" / "dagger", progress=False)  # fmt: skip
    for name, run in (("bc", bc_run), ("dagger", dagger_run)):
        error = on_policy_error(RunPolicy(run), args.task, episodes=20)
        success = evaluate(run, args.task, episodes=50).success_rate
        results[name].setdefault("on_policy_error", []).append(error)
        results[name].setdefault("success", []).append(success)
    print(f"seed {seed}: " + ", ".join(
        f"{n} error {results[n]['on_policy_error'][-1]:.4f} success {results[n]['success'][-1]:.0%}"
        for n in results), flush=True)  # fmt: skip

write_json_atomic(args.out.parent / "dagger_vs_bc.json", {"task": args.task, **results})
print("\n| method | on-policy action error (mean ± 95% CI) | success (mean over seeds) |")
print("|---|---:|---:|")
for name, values in results.items():
    mean, half = mean_ci(values["on_policy_error"])
    print(f"| {name} | {mean:.4f} ± {half:.4f} | {np.mean(values['success']):.0%} |")

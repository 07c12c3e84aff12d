"""The BC -> RL collapse and its remedies, on the same cloned policy.

Fine-tuning with and without critic warm-up, log-std reset and floor, and BC
regularisation. Plain PPO started from a BC policy (random value head, the
cloned log-std) tends to lose the cloned skill in its first updates; the
remedies keep it. Pendulum swing-up, 3 seeds, the return of the deterministic
policy before and after 50,000 env steps of fine-tuning, and the lowest
training return seen on the way.

    python experiments/bc_rl_collapse.py

Writes experiments/results/bc_rl_collapse.json and prints the table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from simreal.atomic_io import write_json_atomic
from simreal.learning.bc import BCConfig, train_bc
from simreal.learning.collect import collect
from simreal.learning.evaluate import evaluate
from simreal.learning.finetune import FinetuneConfig, finetune
from simreal.stats import mean_ci

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--task", default="simreal/PendulumSwingup-v0")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--steps", type=int, default=50_000)
parser.add_argument("--out", type=Path, default=Path("experiments/results/bc_rl_collapse"))
args = parser.parse_args()

ppo = {"n_steps": 256, "batch_size": 1024, "n_epochs": 5, "learning_rate": 3e-4}
variants = {
    "plain PPO from BC": {"critic_warmup": 0, "init_std": None, "min_std": 0.0, "bc_weight": 0.0},
    "with the remedies": {
        "critic_warmup": 8192,
        "init_std": 0.1,
        "min_std": 0.02,
        "bc_weight": 1.0,
    },
}
results: dict[str, dict[str, list[float]]] = {
    name: {"after": [], "lowest": []} for name in variants
}
before = []
for seed in range(args.seeds):
    demos = collect(args.task, "expert", episodes=20, out=args.out / f"demos_{seed}.parquet",
                    seed=seed * 100)  # fmt: skip
    bc = train_bc(BCConfig(args.task, "gaussian", epochs=100, seed=seed), demos,
                  args.out / f"bc_{seed}", progress=False)  # fmt: skip
    before.append(evaluate(bc, args.task, episodes=20).mean_return)
    for name, remedies in variants.items():
        run = finetune(FinetuneConfig(args.task, args.steps, seed, 16, algo_kwargs=ppo, **remedies),
                       bc, args.out / f"{name.split()[0]}_{seed}")  # fmt: skip
        rows = [line.split(",") for line in (run / "curve.csv").read_text().splitlines()[1:]]
        results[name]["lowest"].append(min(float(r) for _, r in rows) if rows else float("nan"))
        results[name]["after"].append(evaluate(run, args.task, episodes=20).mean_return)
    print(f"seed {seed} done", flush=True)

write_json_atomic(args.out.with_suffix(".json"), {"before": before, **results})
mean, half = mean_ci(before)
print(f"\nBC policy before fine-tuning: {mean:.1f} ± {half:.1f}")
print("| fine-tuning | return after (mean ± 95% CI) | lowest training return (mean) |")
print("|---|---:|---:|")
for name, values in results.items():
    mean, half = mean_ci(values["after"])
    print(f"| {name} | {mean:.1f} ± {half:.1f} | {np.nanmean(values['lowest']):.1f} |")

"""The BC -> RL collapse and its remedies, on the same cloned policy.

Fine-tuning with and without critic warm-up, log-std reset and floor, and BC
regularisation. Plain PPO started from a BC policy (random value head, the
cloned log-std) tends to lose the cloned skill in its first updates; the
remedies keep it. Pendulum swing-up, 3 seeds, the return of the deterministic
policy before and after 49,152 env steps of fine-tuning (12 PPO updates of
16 envs x 256 steps; the first 2 with the actor frozen under the remedies), and
the lowest training return seen on the way. Each run's ``finetune.json`` says
what ran: PPO updates, updates that trained the actor, BC regulariser steps.

    python experiments/bc_rl_collapse.py [--seeds 3] [--steps 49152]

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
from simreal.learning.finetune import FinetuneConfig, finetune, summary
from simreal.stats import mean_ci

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--task", default="simreal/PendulumSwingup-v0")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--steps", type=int, default=49_152, help="a multiple of 16 x 256")
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
results: dict[str, dict[str, list]] = {
    name: {"after": [], "lowest": [], "ran": []} for name in variants
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
        results[name]["ran"].append(summary(run))
    print(f"seed {seed} done", flush=True)

write_json_atomic(args.out.with_suffix(".json"), {"before": before, **results})
mean, half = mean_ci(before)
print(f"\nBC policy before fine-tuning: {mean:.1f} ± {half:.1f}")
print("| fine-tuning | return after (mean ± 95% CI) | lowest training return (mean) | "
      "PPO updates (actor) | BC regulariser steps |")  # fmt: skip
print("|---|---:|---:|---:|---:|")
for name, values in results.items():
    mean, half = mean_ci(values["after"])
    ran = values["ran"][0]
    updates = f"{ran['ppo_updates']} ({ran['actor_updates']}) | {ran['regulariser_steps']}"
    lowest = np.nanmean(values["lowest"])
    print(f"| {name} | {mean:.1f} ± {half:.1f} | {lowest:.1f} | {updates} |")

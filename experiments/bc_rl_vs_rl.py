"""Imitation first, RL second: BC -> RL against RL from scratch, in env steps.

On a task (default: the pendulum swing-up): PPO from scratch, and PPO started
from a Gaussian BC policy cloned from expert demonstrations (critic warm-up,
log-std reset and floor, decaying BC regularisation), 3 seeds each, the same
PPO settings and vector env. Reported: learning curves (mean and 95% interval
over seeds, env steps on the x axis; the BC -> RL curve starts after the
demonstration steps, which are counted) and the env steps each needs to get
90% of the way from a random policy's return to the expert's.

The default budget, 294,912 env steps, is 72 PPO updates of 16 envs x 256 steps
for both methods (a multiple of the rollout, so that the fine-tune's rollouts are
the same as from scratch; each run's finetune.json records its layout and what ran).

    python experiments/bc_rl_vs_rl.py [--task simreal/PendulumSwingup-v0] [--steps 294912]

Writes <out>.json and <out>.png (default experiments/results/bc_rl_vs_rl.*) and prints the table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
import numpy as np
import pyarrow.parquet as pq

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.learning.bc import BCConfig, train_bc
from simreal.learning.collect import collect
from simreal.learning.evaluate import evaluate
from simreal.learning.finetune import FinetuneConfig, finetune
from simreal.learning.train import TrainConfig, train
from simreal.rollout import run_episodes

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--task", default="simreal/PendulumSwingup-v0")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument(
    "--steps", type=int, default=294_912, help="PPO env steps per run (a multiple of 16 x 256)"
)
parser.add_argument("--demos", type=int, default=20, help="expert episodes to clone")
parser.add_argument("--envs", type=int, default=16)
parser.add_argument("--out", type=Path, default=Path("experiments/results/bc_rl_vs_rl"))
args = parser.parse_args()

ppo = {"n_steps": 256, "batch_size": 1024, "n_epochs": 5, "learning_rate": 3e-4}
expert_return = evaluate("expert", args.task, episodes=20).mean_return
# "90% of the expert" as a normalised score, so that it also means something for negative
# returns: 90% of the way from a uniformly random policy's return to the expert's.
_env = gym.make(args.task)
_env.action_space.seed(0)
random_return = run_episodes(
    _env, lambda _: _env.action_space.sample(), 20, seed=10_000
).mean_return
target = random_return + 0.9 * (expert_return - random_return)
grid = np.linspace(0, args.steps, 61)
curves: dict[str, list[np.ndarray]] = {"RL from scratch": [], "BC -> RL": []}
demo_steps = 0
for seed in range(args.seeds):
    run = train(
        TrainConfig(args.task, "ppo", args.steps, seed, args.envs, None, 1.0, args.steps, ppo),
        args.out / f"rl_{seed}",
        progress=False,
    )
    demos = collect(
        args.task,
        "expert",
        episodes=args.demos,
        out=args.out / f"demos_{seed}.parquet",
        seed=seed * 100,
    )
    demo_steps = pq.read_metadata(demos).num_rows
    bc = train_bc(
        BCConfig(args.task, "gaussian", epochs=100, seed=seed),
        demos,
        args.out / f"bc_{seed}",
        progress=False,
    )
    ft = finetune(
        FinetuneConfig(args.task, args.steps, seed, args.envs, critic_warmup=8192, algo_kwargs=ppo),
        bc,
        args.out / f"bcrl_{seed}",
    )
    for name, folder, offset in (("RL from scratch", run, 0), ("BC -> RL", ft, demo_steps)):
        rows = [line.split(",") for line in (folder / "curve.csv").read_text().splitlines()[1:]]
        steps = np.array([int(a) for a, _ in rows]) + offset
        returns = np.array([float(b) for _, b in rows])
        curves[name].append(np.interp(grid, steps, returns, left=np.nan))
    print(f"seed {seed} done", flush=True)


def steps_to(curve: np.ndarray, level: float) -> float:
    reached = np.flatnonzero(np.nan_to_num(curve, nan=-np.inf) >= level)
    return float(grid[reached[0]]) if reached.size else float("nan")


summary = {
    "task": args.task,
    "expert_return": expert_return,
    "demo_steps": demo_steps,
    "grid": grid.tolist(),
}
print(f"\nexpert {expert_return:.1f}, random {random_return:.1f}: 90% target {target:.1f}")
print("| method | env steps to 90% of the expert (per seed) | final return (mean) |")
print("|---|---:|---:|")
for name, runs in curves.items():
    stacked = np.array(runs)
    reach = [steps_to(c, target) for c in stacked]
    summary[name] = {"curves": stacked.tolist(), "steps_to_90": reach}
    print(
        f"| {name} | {', '.join(f'{r:,.0f}' if np.isfinite(r) else 'not reached' for r in reach)} "
        f"| {np.nanmean(stacked[:, -1]):.1f} |"
    )
write_json_atomic(args.out.with_suffix(".json"), summary)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 4))
for (name, runs), colour in zip(curves.items(), ("tab:gray", "tab:blue"), strict=True):
    stacked = np.array(runs)
    mean = np.nanmean(stacked, axis=0)
    half = (
        1.96 * np.nanstd(stacked, axis=0, ddof=1) / np.sqrt(len(runs))
        if len(runs) > 1
        else 0 * mean
    )
    ax.plot(grid, mean, color=colour, label=f"{name} ({len(runs)} seeds)")
    ax.fill_between(grid, mean - half, mean + half, color=colour, alpha=0.2)
ax.axhline(target, color="tab:green", ls="--", label="90% of the way from random to the expert")
ax.set_xlabel("env steps (BC -> RL includes the demonstration steps)")
ax.set_ylabel("mean episode return")
ax.set_title(f"{args.task}: BC -> RL vs RL from scratch")
ax.legend(loc="lower right")
fig.tight_layout()
write_atomic(args.out.with_suffix(".png"), lambda tmp: fig.savefig(tmp, dpi=100))

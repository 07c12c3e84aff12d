"""Behaviour cloning recovers the expert: a linear toy, then MuJoCo tasks.

Part 1, the linear toy: an expert ``a = 0.8 s + 0.3`` (plus ``N(0, 0.05^2)`` label noise),
states ``s ~ U(-2, 2)``, ``N`` demonstration pairs. Cloned two ways on the same pairs:

* closed-form least squares over the linear policy class (BC with a linear policy);
* simreal's :func:`~simreal.learning.bc.train_bc`, Gaussian head (SB3's MLP policy, 64x64,
  maximum likelihood, Adam 1e-3, batches of ``min(256, N)``), for a fixed number of
  gradient steps (2000) whatever ``N``.
  ``train_bc`` reads the spaces from a registered env and the pairs from a
  ``simreal collect``-style table, so the script registers a 1-D toy env (its only job is
  to carry the spaces) and writes the pairs as an NPZ table; nothing else is bypassed. The
  cloned MLP is queried through :class:`~simreal.learning.evaluate.RunPolicy` (the loader
  ``simreal eval`` uses) on 201 states spanning ``[-2, 2]``; its recovered slope and
  intercept are the least-squares line through those actions, and its RMSE against the
  expert's noiseless line on the same states is reported too (it also counts any curvature
  the MLP adds).

Reported against ``N`` over ``--seeds`` seeds (each seed draws its own demonstrations and
initialises its own network): the mean absolute slope and intercept errors and the RMSE.

Part 2, tasks (default ``simreal/CartpoleBalance-v0``, a forgiving balance task, and
``simreal/Reach-v0``, whose success needs the fingertip within 2 cm): per seed, 20 expert
episodes recorded with ``collect`` (seeds ``1000 * seed + i``), cloned with ``train_bc``
(Gaussian head, 3000 gradient steps on batches of 256: a fixed budget, as the tasks'
episodes differ in length), evaluated with ``evaluate(run, task, episodes=20)`` on
held-out initial states (seeds 10 000+), next to ``evaluate("expert", task)`` on the same
states.

    python experiments/bc_recovers_expert.py                # about 2 minutes on 2 cores
    python experiments/bc_recovers_expert.py --part toy     # the toy only, about 30 s

Writes <out>.json and <out>.png (default experiments/results/bc_recovers_expert.*) and
prints the tables.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pyarrow.parquet as pq
import torch
from numpy.typing import NDArray

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.datasets.tables import write_columns
from simreal.learning.bc import BCConfig, train_bc
from simreal.learning.collect import collect
from simreal.learning.evaluate import RunPolicy, evaluate
from simreal.stats import mean_ci, wilson_interval

TOY_ID = "simreal_toys/LinearExpert-v0"
STATE_RANGE = 2.0


@dataclass(frozen=True)
class Config:
    """What to clone.

    Attributes:
        part: ``toy``, ``task`` or ``both``.
        slope: The toy expert's slope.
        intercept: The toy expert's intercept.
        noise: Standard deviation of the toy's label noise.
        demos: Demonstration counts of the toy, comma-separated.
        toy_steps: Gradient steps of every toy ``train_bc`` run.
        seeds: Seeds (toy: per ``N``; task: demonstrations and training).
        tasks: The env ids of part 2, comma-separated.
        episodes: Expert episodes recorded per seed in part 2.
        task_steps: ``train_bc`` gradient steps (batches of 256) in part 2.
        eval_episodes: Evaluation episodes in part 2.
        out: Output path without suffix.
    """

    part: str = "both"
    slope: float = 0.8
    intercept: float = 0.3
    noise: float = 0.05
    demos: str = "10,30,100,1000"
    toy_steps: int = 2000
    seeds: int = 3
    tasks: str = "simreal/CartpoleBalance-v0,simreal/Reach-v0"
    episodes: int = 20
    task_steps: int = 3000
    eval_episodes: int = 20
    out: Path = Path("experiments/results/bc_recovers_expert")

    def __post_init__(self) -> None:
        if self.part not in ("toy", "task", "both"):
            raise ValueError(f"part must be toy, task or both, got {self.part!r}.")
        if self.noise < 0:
            raise ValueError(f"noise must be >= 0, got {self.noise!r}.")
        if min(self.demo_counts) < 2:
            raise ValueError(f"every demonstration count must be >= 2, got {self.demos!r}.")
        for name in ("toy_steps", "seeds", "episodes", "task_steps", "eval_episodes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}.")

    @property
    def task_ids(self) -> list[str]:
        """The tasks of part 2."""
        return [t.strip() for t in self.tasks.split(",") if t.strip()]

    @property
    def demo_counts(self) -> list[int]:
        """The toy's demonstration counts."""
        return [int(n) for n in self.demos.split(",")]


class LinearToyEnv(gym.Env):
    """A 1-D state drawn afresh every step; rewarded by closeness to the expert's action.

    ``train_bc`` only needs its spaces; the dynamics make it a valid env nonetheless.
    """

    observation_space = gym.spaces.Box(-STATE_RANGE, STATE_RANGE, (1,), np.float32)
    action_space = gym.spaces.Box(-5.0, 5.0, (1,), np.float32)

    def __init__(self, slope: float = 0.8, intercept: float = 0.3) -> None:
        self.slope, self.intercept = slope, intercept
        self.state = np.zeros(1, np.float32)

    def _draw(self) -> NDArray[np.float32]:
        self.state = self.np_random.uniform(-STATE_RANGE, STATE_RANGE, 1).astype(np.float32)
        return self.state

    def reset(
        self, *, seed: int | None = None, options: dict | None = None
    ) -> tuple[NDArray[np.float32], dict]:
        """Draw the first state."""
        super().reset(seed=seed)
        return self._draw(), {}

    def step(self, action: NDArray) -> tuple[NDArray[np.float32], float, bool, bool, dict]:
        """Score the action against the expert's, then draw the next state."""
        target = self.slope * float(self.state[0]) + self.intercept
        reward = -((float(np.asarray(action).ravel()[0]) - target) ** 2)
        return self._draw(), reward, False, False, {}


def clone_toy(config: Config, n: int, seed: int, folder: Path) -> dict[str, Any]:
    """Draw ``n`` demonstrations, clone them both ways and return the recovered lines."""
    rng = np.random.default_rng(seed)
    states = rng.uniform(-STATE_RANGE, STATE_RANGE, n)
    actions = config.slope * states + config.intercept + rng.normal(0.0, config.noise, n)
    # BC over the linear policy class is least squares, in closed form.
    design = np.column_stack([states, np.ones(n)])
    ls_slope, ls_intercept = np.linalg.lstsq(design, actions, rcond=None)[0]
    # simreal's BC: a demonstration table, a fixed number of gradient steps.
    data = write_columns(
        {"episode_index": np.arange(n), "obs:0": states, "action:0": actions},
        folder / "demos.npz",
    )
    batch = min(256, n)
    epochs = math.ceil(config.toy_steps / math.ceil(n / batch))
    bc = BCConfig(TOY_ID, "gaussian", epochs=epochs, batch_size=batch, seed=seed, hidden=(64, 64))
    policy = RunPolicy(train_bc(bc, data, folder / "bc", progress=False))
    grid = np.linspace(-STATE_RANGE, STATE_RANGE, 201)
    cloned = np.array([float(policy(np.array([s], np.float32))[0]) for s in grid])
    mlp_slope, mlp_intercept = np.polyfit(grid, cloned, 1)
    truth = config.slope * grid + config.intercept
    return {
        "n": n,
        "seed": seed,
        "least_squares": {
            "slope": float(ls_slope),
            "intercept": float(ls_intercept),
            "rmse": float(np.sqrt(np.mean((ls_slope * grid + ls_intercept - truth) ** 2))),
        },
        "train_bc": {
            "slope": float(mlp_slope),
            "intercept": float(mlp_intercept),
            "rmse": float(np.sqrt(np.mean((cloned - truth) ** 2))),
            "epochs": epochs,
            "batch_size": batch,
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for field, value in asdict(Config()).items():
        parser.add_argument(f"--{field.replace('_', '-')}", type=type(value), default=value)
    config = Config(**vars(parser.parse_args()))
    # Small networks on shared cores: one thread is faster than contending for several.
    torch.set_num_threads(1)
    if TOY_ID not in gym.registry:
        gym.register(TOY_ID, entry_point=LinearToyEnv, max_episode_steps=100)
    summary: dict[str, Any] = {"config": {**asdict(config), "out": str(config.out)}}
    work = Path(f"{config.out}_runs")

    toy_rows: dict[str, dict[str, list[float]]] = {}
    if config.part in ("toy", "both"):
        runs = [
            clone_toy(config, n, seed, work / f"toy_n{n}_seed{seed}")
            for n in config.demo_counts
            for seed in range(config.seeds)
        ]
        summary["toy"] = {"runs": runs}
        print(
            f"\nexpert a = {config.slope:g} s + {config.intercept:g}, label noise "
            f"{config.noise:g}; {config.seeds} seeds per N; errors are means over seeds"
        )
        print(
            "| N | method | slope (mean) | intercept (mean) | \\|slope err\\| | "
            "\\|intercept err\\| | RMSE vs expert |"
        )
        print("|---:|---|---:|---:|---:|---:|---:|")
        for n in config.demo_counts:
            for method in ("least_squares", "train_bc"):
                fits = [r[method] for r in runs if r["n"] == n]
                slope = np.array([f["slope"] for f in fits])
                intercept = np.array([f["intercept"] for f in fits])
                row = {
                    "slope": float(slope.mean()),
                    "intercept": float(intercept.mean()),
                    "slope_error": float(np.abs(slope - config.slope).mean()),
                    "intercept_error": float(np.abs(intercept - config.intercept).mean()),
                    "rmse": float(np.mean([f["rmse"] for f in fits])),
                }
                for key, value in row.items():
                    toy_rows.setdefault(method, {}).setdefault(key, []).append(value)
                print(
                    f"| {n} | {method} | {row['slope']:.4f} | {row['intercept']:.4f} | "
                    f"{row['slope_error']:.4f} | {row['intercept_error']:.4f} | "
                    f"{row['rmse']:.4f} |"
                )
        summary["toy"]["by_n"] = {"n": config.demo_counts, **toy_rows}
        write_json_atomic(Path(f"{config.out}.json"), summary)

    task_rows: dict[str, dict[str, Any]] = {}
    if config.part in ("task", "both"):
        for task in config.task_ids:
            expert = evaluate("expert", task, episodes=config.eval_episodes)
            clones = []
            for seed in range(config.seeds):
                folder = work / task.replace("/", "_") / f"seed{seed}"
                demos = collect(
                    task,
                    "expert",
                    episodes=config.episodes,
                    out=folder / "expert.parquet",
                    seed=seed * 1000,
                )
                # A fixed budget of gradient steps, whatever the episode length.
                rows = pq.read_metadata(demos).num_rows
                epochs = math.ceil(config.task_steps / math.ceil(rows / 256))
                bc = BCConfig(task, "gaussian", epochs=epochs, batch_size=256, seed=seed)
                run = train_bc(bc, demos, folder / "bc", progress=False)
                clones.append(evaluate(run, task, episodes=config.eval_episodes))
                print(f"{task} seed {seed}: {clones[-1].row()}", flush=True)
            task_rows[task] = {"expert": expert.to_dict(), "bc": [c.to_dict() for c in clones]}
        summary["task"] = task_rows
        write_json_atomic(Path(f"{config.out}.json"), summary)
        print(
            f"\nBC (gaussian head) on {config.episodes} expert episodes, {config.task_steps} "
            "gradient steps, "
            f"{config.seeds} seeds; every policy evaluated on the same {config.eval_episodes} "
            "held-out initial states"
        )
        print(
            "| task | policy | return (mean ± 95% CI over seeds) | success (pooled) [95% CI] "
            "| success per seed |"
        )
        print("|---|---|---:|---:|---|")
        for task, rows in task_rows.items():
            for name, evaluations in (("expert", [rows["expert"]]), ("BC", rows["bc"])):
                mean, half = mean_ci([e["mean_return"] for e in evaluations])
                if len(evaluations) == 1:
                    half = evaluations[0]["return_ci95"]
                wins = round(sum(e["success_rate"] * e["episodes"] for e in evaluations))
                trials = sum(e["episodes"] for e in evaluations)
                low, high = wilson_interval(wins, trials)
                per_seed = ", ".join(f"{e['success_rate']:.0%}" for e in evaluations)
                print(
                    f"| {task} | {name} | {mean:.2f} ± {half:.2f} | {wins / trials:.0%} "
                    f"[{low:.0%}, {high:.0%}] | {per_seed} |"
                )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 1 + len(task_rows), figsize=(5.5 * (1 + len(task_rows)), 4))
    axes = np.atleast_1d(axes)
    if toy_rows:
        ns = config.demo_counts
        for method, marker in (("least_squares", "o"), ("train_bc", "s")):
            axes[0].loglog(
                ns, toy_rows[method]["slope_error"], marker=marker, label=f"{method}: |slope error|"
            )
            axes[0].loglog(
                ns,
                toy_rows[method]["intercept_error"],
                marker=marker,
                ls="--",
                label=f"{method}: |intercept error|",
            )
        axes[0].set_xlabel("demonstrations N")
        axes[0].set_ylabel(f"mean absolute error over {config.seeds} seeds")
        axes[0].set_title("linear toy: recovered slope and intercept")
        axes[0].legend(fontsize=8)
    else:
        axes[0].axis("off")
    for column, (task, rows) in enumerate(task_rows.items(), start=1):
        evaluations = [rows["expert"], *rows["bc"]]
        names = ["expert"] + [f"BC seed {e}" for e in range(len(rows["bc"]))]
        axes[column].bar(names, [e["success_rate"] for e in evaluations], color="tab:gray")
        axes[column].set_ylim(0, 1.05)
        axes[column].set_ylabel(f"success over {config.eval_episodes} held-out episodes")
        axes[column].set_title(task)
    fig.tight_layout()
    write_atomic(Path(f"{config.out}.png"), lambda tmp: fig.savefig(tmp, dpi=100))
    print(f"wrote {config.out}.json and {config.out}.png")

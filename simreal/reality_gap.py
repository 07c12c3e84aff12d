"""Measure each task's expert on its nominal model and on its real proxy.

The gap between the two is what domain randomization, system identification
and fine-tuning set out to close.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import gymnasium as gym

from simreal.envs.registry import make_expert, task_for
from simreal.rollout import EpisodeStats, run_episodes
from simreal.stats import mean_ci, wilson_interval


@dataclass(frozen=True)
class PlantResult:
    """An expert's results on one plant (nominal or real proxy)."""

    env_id: str
    episodes: int
    mean_return: float
    return_ci95: float
    success_rate: float
    success_ci95_low: float
    success_ci95_high: float

    @classmethod
    def from_stats(cls, env_id: str, stats: EpisodeStats) -> PlantResult:
        """Summarise a batch of episodes."""
        mean, half = mean_ci(stats.returns)
        low, high = wilson_interval(int(stats.successes.sum()), len(stats.successes))
        return cls(env_id, len(stats.returns), mean, half, stats.success_rate, low, high)


@dataclass(frozen=True)
class GapRow:
    """An expert's results on a task's nominal model and on its real proxy."""

    task: str
    nominal: PlantResult
    real: PlantResult

    def to_dict(self) -> dict:
        """Return a JSON-ready dict."""
        return asdict(self)


def measure_expert(env_id: str, n_episodes: int, seed: int) -> PlantResult:
    """Run a task's expert on one registered id.

    Args:
        env_id: Nominal or real-proxy id.
        n_episodes: Number of seeded episodes.
        seed: Seed of the first episode (episode ``i`` uses ``seed + i``).

    Returns:
        The summary of the episodes.
    """
    env = gym.make(env_id)
    try:
        stats = run_episodes(env, make_expert(env_id), n_episodes, seed=seed, use_state=True)
    finally:
        env.close()
    return PlantResult.from_stats(env_id, stats)


def measure_gap(env_id: str, n_episodes: int, seed: int) -> GapRow:
    """Run a task's expert on its nominal model and its real proxy, same seeds."""
    task = task_for(env_id)
    return GapRow(
        task.env_id,
        measure_expert(task.env_id, n_episodes, seed),
        measure_expert(task.real_id, n_episodes, seed),
    )


def format_gap_table(rows: list[GapRow]) -> str:
    """Render rows as a Markdown table (readable in a terminal too)."""
    lines = [
        "| task | expert return, nominal | expert return, real proxy "
        "| success, nominal | success, real proxy |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        n, r = row.nominal, row.real
        lines.append(
            f"| {row.task} | {n.mean_return:.1f} ± {n.return_ci95:.1f} "
            f"| {r.mean_return:.1f} ± {r.return_ci95:.1f} "
            f"| {n.success_rate:.0%} [{n.success_ci95_low:.0%}, {n.success_ci95_high:.0%}] "
            f"| {r.success_rate:.0%} [{r.success_ci95_low:.0%}, {r.success_ci95_high:.0%}] |"
        )
    return "\n".join(lines)

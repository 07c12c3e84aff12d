"""Evaluate a trained run (or a task's expert) on a task or a real proxy."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from simreal.learning.train import RunError, load_run
from simreal.rollout import run_episodes
from simreal.stats import mean_ci, wilson_interval


@dataclass(frozen=True)
class Evaluation:
    """Returns and successes of a policy on one env, with 95% intervals."""

    policy: str
    env_id: str
    episodes: int
    mean_return: float
    return_ci95: float
    success_rate: float
    success_ci95: tuple[float, float]

    def to_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)

    def row(self) -> str:
        """One table row."""
        low, high = self.success_ci95
        return (
            f"| {self.policy} | {self.env_id} | {self.episodes} | {self.mean_return:.2f} ± "
            f"{self.return_ci95:.2f} | {self.success_rate:.0%} [{low:.0%}, {high:.0%}] |"
        )


class RunPolicy:
    """A trained run as an ``obs -> action`` callable (normalised, deterministic)."""

    def __init__(self, run: str | Path) -> None:
        self.config, self.model, stats = load_run(run)
        self.mean, self.var = stats["mean"], stats["var"]
        self.clip, self.epsilon = float(stats["clip_obs"]), float(stats["epsilon"])

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """The policy's deterministic action."""
        normalised = np.clip(
            (obs - self.mean) / np.sqrt(self.var + self.epsilon), -self.clip, self.clip
        )
        action, _ = self.model.predict(normalised.astype(np.float32), deterministic=True)
        return action


def evaluate(policy: str | Path, env_id: str, episodes: int = 20, seed: int = 10_000) -> Evaluation:
    """Evaluate a run folder, or ``"expert"`` (the task's controller), on ``env_id``.

    Episodes use seeds ``seed .. seed + episodes - 1`` (disjoint from training seeds
    by default), so two policies are compared on the same initial states.

    Raises:
        RunError: For a broken run, or an env whose spaces differ from the run's.
    """
    import simreal  # noqa: F401  (registers the tasks)

    env = gym.make(env_id)
    if str(policy) == "expert":
        from simreal.envs.registry import make_expert

        stats = run_episodes(env, make_expert(env_id), episodes, seed=seed, use_state=True)
    else:
        actor = RunPolicy(policy)
        model = actor.model
        if (
            env.observation_space.shape != model.observation_space.shape
            or env.action_space.shape != model.action_space.shape
        ):
            raise RunError(
                f"{policy} was trained on observations {model.observation_space.shape} and actions "
                f"{model.action_space.shape}; {env_id} has {env.observation_space.shape} and "
                f"{env.action_space.shape}."
            )
        stats = run_episodes(env, actor, episodes, seed=seed)
    env.close()
    mean, half = mean_ci(stats.returns)
    wins = int(stats.successes.sum())
    return Evaluation(
        str(policy),
        env_id,
        episodes,
        mean,
        half,
        stats.success_rate,
        wilson_interval(wins, episodes),
    )

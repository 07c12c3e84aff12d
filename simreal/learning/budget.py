"""Training budgets that mean what they say: exact env steps, at most N episodes.

PPO collects rollouts of ``n_steps`` steps on each of ``n_envs`` envs and stops
at the first whole rollout at or past its budget, so a budget that is not a
multiple of ``n_steps * n_envs`` is rounded up. :func:`fit_rollout` picks the
envs and rollout length so that whole rollouts fill the budget exactly.
:class:`EpisodeBudget` stops training before an episode beyond the budget takes
its first step (for tasks that may end episodes early), and
:class:`LearningCurve` records the mean training return after every rollout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback


@dataclass(frozen=True)
class Rollout:
    """How a budget of env steps is cut into PPO rollouts.

    Attributes:
        n_envs: Parallel envs.
        n_steps: Steps per env per rollout.
        rollouts: Number of rollouts (= PPO updates).
    """

    n_envs: int
    n_steps: int
    rollouts: int

    @property
    def size(self) -> int:
        """Env steps per rollout."""
        return self.n_envs * self.n_steps

    @property
    def steps(self) -> int:
        """Env steps in all."""
        return self.size * self.rollouts


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(np.sqrt(n)) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)})


def largest_divisor(n: int, at_most: int) -> int:
    """The largest divisor of ``n`` that is at most ``at_most`` (1 at least)."""
    return max(d for d in _divisors(n) if d <= max(at_most, 1))


def fit_rollout(steps: int, n_envs: int, n_steps: int, episode_steps: int = 1) -> Rollout:
    """Cut ``steps`` env steps into whole rollouts of at most ``n_envs`` envs.

    The envs are the most that divide the budget in whole episodes (at most
    ``n_envs``); the rollout length is the longest that divides each env's share and
    is at most ``n_steps`` (the share itself when it is shorter). A rollout holds at
    least two steps (PPO normalises advantages over it).

    Args:
        steps: The budget in env steps (>= 2).
        n_envs: The most parallel envs.
        n_steps: The longest rollout per env (PPO's ``n_steps``).
        episode_steps: Steps of one episode when the budget is whole episodes (each
            env then runs whole episodes); 1 for a plain step budget.

    Raises:
        ValueError: If the budget is under two steps or not whole episodes.
    """
    if steps < 2 or n_envs < 1 or n_steps < 1 or episode_steps < 1:
        raise ValueError(f"a budget needs >= 2 env steps and >= 1 env, got {steps}, {n_envs}.")
    if steps % episode_steps:
        raise ValueError(f"{steps} steps are not whole episodes of {episode_steps} steps.")
    episodes = steps // episode_steps
    envs = max(d for d in _divisors(episodes) if d <= n_envs)
    share = steps // envs
    fitting = [d for d in _divisors(share) if d <= n_steps and d * envs >= 2]
    length = max(fitting) if fitting else share
    return Rollout(envs, length, share // length)


class EpisodeBudget(BaseCallback):
    """Stop training before an episode beyond ``episodes`` takes its first step.

    Every env is in an episode from its first step; an env whose episode ends starts
    the next one at its next step. Training stops after the step at which the next
    step would touch episode ``episodes + 1``; ``started`` counts the episodes that
    took a step, ``finished`` those that ended. SB3 trains only on whole rollouts: a
    rollout cut short is not trained on, and ``cut_steps`` says how many steps that was.

    Args:
        episodes: The most episodes that may take a step.
        total_steps: The step budget of ``learn`` (its last step stops nothing), or ``None``.
    """

    def __init__(self, episodes: int, total_steps: int | None = None) -> None:
        super().__init__()
        if episodes < 1:
            raise ValueError(f"an episode budget must be >= 1, got {episodes}.")
        self.episodes = episodes
        self.total_steps = total_steps
        self.started = 0
        self.finished = 0
        self.cut_steps = 0
        self._rollout_steps = 0

    def _on_training_start(self) -> None:
        self.started = min(self.training_env.num_envs, self.episodes)
        if self.training_env.num_envs > self.episodes:
            raise ValueError(
                f"{self.training_env.num_envs} envs would start more than {self.episodes} "
                "episodes at once; use at most as many envs as episodes."
            )

    def _on_rollout_start(self) -> None:
        self._rollout_steps = 0

    def _on_step(self) -> bool:
        self._rollout_steps += self.training_env.num_envs
        ended = int(np.sum(self.locals["dones"]))
        self.finished += ended
        last = self.total_steps is not None and self.num_timesteps >= self.total_steps
        if ended and not last:  # after the last step no new episode takes a step
            if self.started + ended > self.episodes:
                self.cut_steps = self._rollout_steps
                return False
            self.started += ended
        return True

    def _on_rollout_end(self) -> None:
        self._rollout_steps = 0


class LearningCurve(BaseCallback):
    """The mean return of the last 100 training episodes after every rollout.

    ``points`` holds ``(env steps, mean return)`` pairs; rollouts before the first
    finished episode add none.
    """

    def __init__(self) -> None:
        super().__init__()
        self.points: list[tuple[int, float]] = []

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        episodes = [info["r"] for info in self.model.ep_info_buffer]
        if episodes:
            self.points.append((self.num_timesteps, float(np.mean(episodes))))

    def csv(self) -> str:
        """``env_steps,mean_return`` lines."""
        return "env_steps,mean_return\n" + "".join(f"{s},{r}\n" for s, r in self.points)

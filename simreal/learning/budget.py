"""Training budgets that mean what they say: exact env steps, at most N episodes.

PPO collects rollouts of ``n_steps`` steps on each of ``n_envs`` envs and stops
at the first whole rollout at or past its budget, so a budget that is not a
multiple of ``n_steps * n_envs`` would be rounded up. :func:`plan_rollouts` cuts
a budget into whole rollouts and one shorter last rollout
(:func:`shorten_rollouts`), so that training ends exactly at the budget; a budget
must be a multiple of the envs, which all step at once (:func:`check_step_budget`).
:class:`EpisodeBudget` stops training before an episode beyond the budget takes
its first step (for tasks that may end episodes early), and
:class:`LearningCurve` records the mean training return after every rollout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from simreal.learning.step_budget import check_step_budget

__all__ = [
    "EpisodeBudget",
    "LearningCurve",
    "Rollout",
    "check_step_budget",
    "largest_divisor",
    "plan_rollouts",
    "shorten_rollouts",
]


@dataclass(frozen=True)
class Rollout:
    """How a budget of env steps is cut into PPO rollouts.

    Attributes:
        n_envs: Parallel envs.
        n_steps: Steps per env of a whole rollout (PPO's ``n_steps``).
        rollouts: Number of whole rollouts.
        last_steps: Steps per env of one shorter last rollout (0: none).
    """

    n_envs: int
    n_steps: int
    rollouts: int
    last_steps: int = 0

    @property
    def size(self) -> int:
        """Env steps per whole rollout."""
        return self.n_envs * self.n_steps

    @property
    def updates(self) -> int:
        """PPO updates: one per rollout, the shorter last one included."""
        return self.rollouts + (1 if self.last_steps else 0)

    @property
    def steps(self) -> int:
        """Env steps in all."""
        return self.n_envs * (self.n_steps * self.rollouts + self.last_steps)

    def parts(self) -> list[int]:
        """The ``learn`` budgets: the whole rollouts, then the shorter last one."""
        whole = self.size * self.rollouts
        return [p for p in (whole, self.n_envs * self.last_steps) if p]


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(np.sqrt(n)) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)})


def largest_divisor(n: int, at_most: int) -> int:
    """The largest divisor of ``n`` that is at most ``at_most`` (1 at least)."""
    return max(d for d in _divisors(n) if d <= max(at_most, 1))


def plan_rollouts(steps: int, n_envs: int, n_steps: int) -> Rollout:
    """Cut ``steps`` env steps on ``n_envs`` envs into whole rollouts and a shorter last one.

    Args:
        steps: The budget in env steps, a multiple of ``n_envs``.
        n_envs: Parallel envs.
        n_steps: Steps per env of a whole rollout (PPO's ``n_steps``).

    Raises:
        ValueError: If the budget is not a multiple of the envs.
    """
    check_step_budget(steps, n_envs)
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}.")
    per_env = steps // n_envs
    return Rollout(n_envs, n_steps, per_env // n_steps, per_env % n_steps)


def shorten_rollouts(model: Any, n_steps: int) -> None:  # noqa: ANN401
    """Let PPO's next rollouts be ``n_steps`` per env (the last one of a budget).

    SB3 fixes the rollout length at construction and always collects whole rollouts;
    a new buffer of the shorter length is how the last rollout ends at the budget.
    """
    model.n_steps = n_steps
    model.rollout_buffer = model.rollout_buffer_class(
        n_steps,
        model.observation_space,
        model.action_space,
        device=model.device,
        gamma=model.gamma,
        gae_lambda=model.gae_lambda,
        n_envs=model.n_envs,
        **model.rollout_buffer_kwargs,
    )


class EpisodeBudget(BaseCallback):
    """Stop training before an episode beyond ``episodes`` takes its first step.

    Every env is in an episode from its first step; an env whose episode ends starts
    the next one at its next step. Training stops after the step at which the next
    step would touch episode ``episodes + 1``; ``started`` counts the episodes that
    took a step, ``finished`` those that ended. SB3 trains only on whole rollouts: a
    rollout cut short is not trained on, and ``cut_steps`` says how many steps that was.
    The vector env resets an env as its episode ends, so when training stops the envs
    that had just finished are already reset (on hardware: back at the start pose); none
    of them takes a step.

    Args:
        episodes: The most episodes that may take a step.
        total_steps: The step budget of ``learn`` (its last step stops nothing), or ``None``.
        used: Episodes of this budget spent before (by an interrupted run).
        journal: A file that gets one line, flushed to disk, per episode as it starts:
            what a resumed run counts as spent, even after a kill (``None``: none).
    """

    def __init__(
        self,
        episodes: int,
        total_steps: int | None = None,
        used: int = 0,
        journal: Path | None = None,
    ) -> None:
        super().__init__()
        if episodes < 1:
            raise ValueError(f"an episode budget must be >= 1, got {episodes}.")
        self.episodes = episodes
        self.total_steps = total_steps
        self.used = used
        self.journal = journal
        self.started = used
        self.finished = 0
        self.cut_steps = 0
        self.stopped = False
        self.began = False
        self._rollout_steps = 0

    def _start(self, count: int) -> None:
        """``count`` more episodes take their first step."""
        self.started += count
        if self.journal is not None and count:
            import os

            with open(self.journal, "a") as f:
                f.write("".join(f"episode {self.started - count + k + 1}\n" for k in range(count)))
                f.flush()
                os.fsync(f.fileno())

    def _on_training_start(self) -> None:
        if self.began:  # a later ``learn`` call of the same budget (the shorter last rollout)
            return
        self.began = True
        left = self.episodes - self.used
        if self.training_env.num_envs > left:
            raise ValueError(
                f"{self.training_env.num_envs} envs would start more than the {left} "
                f"episode(s) left of {self.episodes}; use at most as many envs as episodes."
            )
        self._start(self.training_env.num_envs)

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
                self.stopped = True
                return False
            self._start(ended)
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

"""Run a policy for whole episodes and collect returns and successes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

Policy = Callable[[NDArray], NDArray]


@dataclass(frozen=True)
class EpisodeStats:
    """Per-episode results of a batch of rollouts.

    Attributes:
        returns: Undiscounted return of each episode.
        successes: Whether each episode ended solved (``info["is_success"]`` of its
            last step).
        lengths: Steps in each episode.
    """

    returns: NDArray[np.float64]
    successes: NDArray[np.bool_]
    lengths: NDArray[np.int64]

    @property
    def mean_return(self) -> float:
        """Mean undiscounted return."""
        return float(self.returns.mean())

    @property
    def success_rate(self) -> float:
        """Fraction of episodes that ended solved."""
        return float(self.successes.mean())


def run_episodes(
    env: gym.Env,
    policy: Policy,
    n_episodes: int,
    seed: int = 0,
    use_state: bool = False,
) -> EpisodeStats:
    """Roll out a policy for ``n_episodes`` seeded episodes.

    Episode ``i`` is reset with ``seed + i``, so results are reproducible and two
    policies can be compared on the same initial states.

    Args:
        env: A Gymnasium env (with a time limit).
        policy: Maps one observation to one action; if it has a ``reset()`` method,
            that is called at the start of every episode.
        n_episodes: Number of episodes (>= 1).
        seed: Seed of the first episode.
        use_state: Feed the policy ``info["state"]`` (the privileged state vector)
            instead of the observation, as experts need on the pixel variants.

    Returns:
        The returns, successes and lengths of the episodes.

    Raises:
        ValueError: If ``n_episodes < 1``.
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1, got {n_episodes}.")
    returns, successes, lengths = [], [], []
    for episode in range(n_episodes):
        obs, info = env.reset(seed=seed + episode)
        if hasattr(policy, "reset"):
            policy.reset()
        total, steps, done = 0.0, 0, False
        while not done:
            action = policy(info["state"] if use_state else obs)
            obs, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            steps += 1
            done = terminated or truncated
        returns.append(total)
        successes.append(bool(info.get("is_success", False)))
        lengths.append(steps)
    return EpisodeStats(np.array(returns), np.array(successes), np.array(lengths))

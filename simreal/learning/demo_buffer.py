"""A replay buffer that keeps demonstrations: every batch half offline, half online (RLPD).

RLPD's "symmetric sampling" (Ball et al. 2023) draws each minibatch half from the
prior data and half from the policy's own transitions, so the demonstrations
keep their weight however much online data arrives. :class:`DemoReplayBuffer` is
SB3's ``ReplayBuffer`` (online data, checkpointed like any SAC buffer) with a
second, fixed ``ReplayBuffer`` of demonstrations beside it; it is given to SAC
as ``replay_buffer_class`` and changes nothing else in SB3's training loop.

:func:`demo_transitions` turns a ``simreal collect`` dataset into transitions
``(obs, action, reward, next_obs, done)`` as SB3 stores them: raw observations
(the ``VecNormalize`` env normalises them when a batch is drawn, as it does the
online ones) and actions scaled to SAC's [-1, 1]. A dataset row holds the
observation before its action, so an episode's next observation is its next
row; the last step of an episode cut by its time limit has no next observation
in the file and is left out, the last step of a terminated one is kept as
terminal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from stable_baselines3.common.buffers import ReplayBuffer


def demo_transitions(
    columns: dict[str, NDArray], low: NDArray, high: NDArray
) -> dict[str, NDArray]:
    """Transitions of a demonstration table (its ``read_columns`` columns).

    Args:
        columns: ``episode_index``, ``obs:<i>``, ``action:<j>``, ``reward``, ``terminated``.
        low: The action space's lower bound.
        high: Its upper bound.

    Returns:
        ``obs``, ``next_obs``, ``actions`` (in [-1, 1]), ``rewards`` and ``dones``.

    Raises:
        ValueError: If a column is missing or no episode has two steps.
    """
    missing = [c for c in ("episode_index", "reward", "terminated") if c not in columns]
    obs_cols = sorted((c for c in columns if c.startswith("obs:")), key=lambda c: int(c[4:]))
    act_cols = sorted((c for c in columns if c.startswith("action:")), key=lambda c: int(c[7:]))
    if missing or not obs_cols or not act_cols:
        raise ValueError(
            f"not a demonstration dataset with rewards (missing {missing or 'obs/action'}); "
            "make one with simreal collect."
        )
    obs = np.stack([columns[c] for c in obs_cols], axis=1).astype(np.float32)
    actions = np.stack([columns[c] for c in act_cols], axis=1).astype(np.float64)
    episode = np.asarray(columns["episode_index"])
    terminated = np.asarray(columns["terminated"]).astype(bool)
    same_next = np.zeros(len(obs), bool)
    same_next[:-1] = episode[1:] == episode[:-1]
    keep = same_next | terminated  # a truncated last step has no next observation
    next_obs = np.empty_like(obs)
    next_obs[:-1] = obs[1:]
    next_obs[~same_next] = obs[~same_next]  # terminal: not bootstrapped from
    if not keep.any():
        raise ValueError("the dataset has no transition: every episode is one step long.")
    half = (high - low) / 2
    scaled = np.clip((np.clip(actions, low, high) - low) / half - 1.0, -1.0, 1.0)
    return {
        "obs": obs[keep],
        "next_obs": next_obs[keep],
        "actions": scaled[keep].astype(np.float32),
        "rewards": np.asarray(columns["reward"], np.float32)[keep],
        "dones": terminated[keep].astype(np.float32),
    }


class DemoReplayBuffer(ReplayBuffer):
    """SB3's replay buffer plus fixed demonstrations; batches draw ``demo_fraction`` of them.

    Args:
        buffer_size: Capacity of the online part.
        observation_space: The env's observation space.
        action_space: The env's action space.
        device: Torch device.
        n_envs: Parallel envs.
        demos: :func:`demo_transitions` output (``None``: an ordinary replay buffer).
        demo_fraction: Share of every batch drawn from the demonstrations (RLPD: 0.5).
        **kwargs: SB3 ``ReplayBuffer`` arguments.

    Attributes:
        demo_draws: Demonstration transitions drawn so far.
        online_draws: Online transitions drawn so far.
    """

    def __init__(
        self,
        buffer_size: int,
        observation_space: Any,  # noqa: ANN401
        action_space: Any,  # noqa: ANN401
        device: Any = "auto",  # noqa: ANN401
        n_envs: int = 1,
        demos: dict[str, NDArray] | None = None,
        demo_fraction: float = 0.5,
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(buffer_size, observation_space, action_space, device, n_envs, **kwargs)
        if not 0.0 <= demo_fraction < 1.0:
            raise ValueError(f"demo_fraction must be in [0, 1), got {demo_fraction}.")
        self.demo_fraction = demo_fraction if demos is not None else 0.0
        self.demo_draws = 0
        self.online_draws = 0
        self.demos: ReplayBuffer | None = None
        if demos is not None:
            size = len(demos["obs"])
            self.demos = ReplayBuffer(size, observation_space, action_space, device, n_envs=1)
            self.demos.observations[:, 0] = demos["obs"]
            self.demos.next_observations[:, 0] = demos["next_obs"]
            self.demos.actions[:, 0] = demos["actions"]
            self.demos.rewards[:, 0] = demos["rewards"]
            self.demos.dones[:, 0] = demos["dones"]
            self.demos.full = True

    @property
    def demo_size(self) -> int:
        """Demonstration transitions held."""
        return 0 if self.demos is None else self.demos.buffer_size

    def sample(self, batch_size: int, env: Any = None) -> Any:  # noqa: ANN401
        """A batch of ``batch_size``: ``round(batch_size * demo_fraction)`` from the demos."""
        import torch

        n_demo = int(round(batch_size * self.demo_fraction)) if self.demos is not None else 0
        online = super().sample(batch_size - n_demo, env)
        self.online_draws += batch_size - n_demo
        if n_demo == 0:
            return online
        offline = self.demos.sample(n_demo, env)
        self.demo_draws += n_demo
        return type(online)(
            *(
                None if a is None else torch.cat([a, b])
                for a, b in zip(online, offline, strict=True)
            )
        )

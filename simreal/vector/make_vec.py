"""``simreal.make_vec``: N randomized envs for Stable-Baselines3 or Gymnasium."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from simreal.randomization import DRSpec
from simreal.vector.batch_env import BatchedVectorEnv
from simreal.vector.batched_task import NotBatchableError

_WARNED: set[str] = set()


def make_vec(
    env_id: str,
    n_envs: int = 8,
    dr: DRSpec | dict | str | Path | None = None,
    width: float | None = None,
    n_threads: int | None = None,
    api: str = "sb3",
    **env_kwargs: Any,  # noqa: ANN401
) -> Any:  # noqa: ANN401
    """Build ``n_envs`` randomized copies of a task, stepped together.

    State tasks (and Gymnasium's ``HalfCheetah-v5``) run on the batched vector env
    (``mujoco.batch``, all simulations in one threaded call); anything it cannot
    batch (image observations, effect terms other than action latency and sensor
    noise, other Gymnasium envs) runs on a ``SyncVectorEnv`` of ``simreal.make``
    envs — the same results, slower — and a warning says so once.

    >>> from stable_baselines3 import PPO
    >>> model = PPO("MlpPolicy", make_vec("simreal/Push-v0", n_envs=64, dr="default"))

    Args:
        env_id: Task id (or a Gymnasium MuJoCo env id).
        n_envs: Number of envs (>= 1).
        dr: Domain-randomization spec, ``"default"`` or ``None``.
        width: Global width.
        n_threads: Threads for the batch (default: all cores; larger values are
            clamped to the core count).
        api: ``"sb3"`` for a Stable-Baselines3 ``VecEnv`` (the default, ready for
            ``PPO("MlpPolicy", env)``), ``"gymnasium"`` for a
            ``gymnasium.vector.VectorEnv`` with same-step autoreset.
        **env_kwargs: Passed to ``gymnasium.make``.

    Returns:
        The vector env.

    Raises:
        ValueError: For ``n_envs < 1``, ``n_threads < 1`` or an unknown ``api``.
    """
    if api not in ("sb3", "gymnasium"):
        raise ValueError(f"api must be 'sb3' or 'gymnasium', got {api!r}.")
    if isinstance(n_envs, bool) or not isinstance(n_envs, int) or n_envs < 1:
        raise ValueError(f"n_envs must be an integer >= 1, got {n_envs!r}.")
    try:
        vector_env: gym.vector.VectorEnv = BatchedVectorEnv(
            env_id, n_envs, dr=dr, width=width, n_threads=n_threads, **env_kwargs
        )
    except NotBatchableError as reason:
        if env_id not in _WARNED:
            _WARNED.add(env_id)
            warnings.warn(f"{env_id} runs on the slower SyncVectorEnv path: {reason}", stacklevel=2)
        from simreal.factory import make

        vector_env = SyncVectorEnv(
            [lambda: make(env_id, dr=dr, width=width, **env_kwargs) for _ in range(n_envs)],
            autoreset_mode=AutoresetMode.SAME_STEP,
        )
    if api == "gymnasium":
        return vector_env
    from simreal.vector.sb3 import SB3VecEnv

    return SB3VecEnv(vector_env)

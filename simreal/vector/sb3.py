"""Stable-Baselines3 ``VecEnv`` adapter over a Gymnasium vector env with same-step autoreset."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvStepReturn


def _row(infos: dict[str, Any], i: int) -> dict[str, Any]:
    """Env ``i``'s entries of a Gymnasium vector info dict (masked-out keys dropped)."""
    row: dict[str, Any] = {}
    for key, value in infos.items():
        if key.startswith("_") or key in ("final_obs", "final_info"):
            continue
        mask = infos.get(f"_{key}")
        if mask is not None and not mask[i]:
            continue
        row[key] = _row(value, i) if isinstance(value, dict) else value[i]
    return row


class SB3VecEnv(VecEnv):
    """Present a Gymnasium ``VectorEnv`` (``SAME_STEP`` autoreset) as an SB3 ``VecEnv``.

    SB3's conventions: ``reset()`` returns observations only, seeds set with
    :meth:`seed` apply at the next reset, ``step_wait`` returns ``dones =
    terminated | truncated`` and one info dict per env, in which an ended
    episode's info carries ``terminal_observation`` and ``TimeLimit.truncated``.

    Args:
        vector_env: The Gymnasium vector env (``simreal``'s batched env or a
            ``SyncVectorEnv`` built with ``autoreset_mode=SAME_STEP``).
    """

    def __init__(self, vector_env: gym.vector.VectorEnv) -> None:
        self.vector_env = vector_env
        super().__init__(
            vector_env.num_envs, vector_env.single_observation_space, vector_env.single_action_space
        )
        self._actions: NDArray | None = None

    def reset(self) -> NDArray:
        """Reset every env, with the seeds given to :meth:`seed` if any."""
        seeds = self._seeds if any(s is not None for s in self._seeds) else None
        obs, infos = self.vector_env.reset(seed=seeds)
        self.reset_infos = [_row(infos, i) for i in range(self.num_envs)]
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: NDArray) -> None:
        """Store the actions for :meth:`step_wait`."""
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        """Step; ended episodes are reset, their last observation in the info."""
        obs, rewards, terminated, truncated, infos = self.vector_env.step(self._actions)
        dones = terminated | truncated
        env_infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            final_info = infos.get("final_info", {})
            for i in np.flatnonzero(dones):
                info = _row(final_info, i) if final_info else {}
                info["terminal_observation"] = infos["final_obs"][i]
                info["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                env_infos[i] = info
        return obs, rewards.astype(np.float32), dones, env_infos

    def close(self) -> None:
        """Close the vector env."""
        self.vector_env.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:  # noqa: ANN401
        """Attributes are those of the vector env, the same for every index."""
        value = getattr(self.vector_env, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:  # noqa: ANN401
        """Set an attribute of the vector env."""
        setattr(self.vector_env, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: Any = None,
        **method_kwargs: Any,  # noqa: ANN401
    ) -> list[Any]:
        """Call a method of the vector env once per requested index."""
        method = getattr(self.vector_env, method_name)
        return [method(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(
        self,
        wrapper_class: type[gym.Wrapper],
        indices: Any = None,  # noqa: ANN401
    ) -> Sequence[bool]:
        """Whether the template env of the vector env is wrapped in ``wrapper_class``."""
        env = getattr(self.vector_env, "template", None)
        found = False
        while isinstance(env, gym.Wrapper):
            found |= isinstance(env, wrapper_class)
            env = env.env
        return [found for _ in self._get_indices(indices)]

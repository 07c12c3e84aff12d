"""Gymnasium's own MuJoCo envs as task arrays, mirroring their ``step`` exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv
from numpy.typing import NDArray

from simreal.envs.task_arrays import State, TaskArrays


class HalfCheetahArrays(TaskArrays):
    """``HalfCheetah-v5``: forward velocity reward minus control cost, never terminates."""

    def before_step(self, s: State) -> NDArray:
        """The x position before the step."""
        return s["qpos"][:, 0].copy()

    def observe(self, s: State) -> NDArray:
        """``qpos`` (without x unless configured) and ``qvel``."""
        exclude = self.env._exclude_current_positions_from_observation  # noqa: SLF001
        position = s["qpos"][:, 1:] if exclude else s["qpos"]
        return np.concatenate([position, s["qvel"]], axis=1)

    def _velocity(self, s: State, before: NDArray) -> NDArray:
        return (s["qpos"][:, 0] - before) / self.env.dt

    def reward_terms(self, s: State, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """``reward_forward`` and ``reward_ctrl`` as Gymnasium computes them."""
        forward = self.env._forward_reward_weight * self._velocity(s, before)  # noqa: SLF001
        ctrl = self.env._ctrl_cost_weight * np.sum(np.square(action), axis=1)  # noqa: SLF001
        return {"forward": forward, "ctrl": -ctrl}

    def extra_info(self, s: State, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """``x_position`` and ``x_velocity``."""
        return {"x_position": s["qpos"][:, 0].copy(), "x_velocity": self._velocity(s, before)}


# Gymnasium's env classes with task arrays here (exact class match).
GYMNASIUM_ARRAYS: dict[type, type[TaskArrays]] = {HalfCheetahEnv: HalfCheetahArrays}

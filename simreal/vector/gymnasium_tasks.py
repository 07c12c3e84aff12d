"""Batched adapters for Gymnasium's own MuJoCo envs, mirroring their ``step`` exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv
from numpy.typing import NDArray

from simreal.vector.batched_task import Arrays, BatchedTask, register_batched


@register_batched(HalfCheetahEnv)
class HalfCheetahBatched(BatchedTask):
    """``HalfCheetah-v5``: forward velocity reward minus control cost, never terminates."""

    def before_step(self, d: Arrays) -> NDArray:
        """The x position before the step."""
        return d["qpos"][:, 0].copy()

    def observe(self, d: Arrays) -> NDArray:
        """``qpos`` (without x unless configured) and ``qvel``."""
        position = (
            d["qpos"][:, 1:] if self.env._exclude_current_positions_from_observation else d["qpos"]
        )  # noqa: SLF001
        return np.concatenate([position, d["qvel"]], axis=1)

    def _velocity(self, d: Arrays, before: NDArray) -> NDArray:
        return (d["qpos"][:, 0] - before) / self.env.dt

    def reward_terms(self, d: Arrays, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """``reward_forward`` and ``reward_ctrl`` as Gymnasium computes them."""
        forward = self.env._forward_reward_weight * self._velocity(d, before)  # noqa: SLF001
        ctrl = self.env._ctrl_cost_weight * np.sum(np.square(action), axis=1)  # noqa: SLF001
        return {"forward": forward, "ctrl": -ctrl}

    def extra_info(self, d: Arrays, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """``x_position`` and ``x_velocity``."""
        return {"x_position": d["qpos"][:, 0].copy(), "x_velocity": self._velocity(d, before)}

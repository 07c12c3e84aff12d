"""Batched adapters of simreal's state tasks for the vector env.

Each adapter computes, for N simulations at once, what the task's ``step``
computes for one (see the task's ``env.py`` for the tables); the vector env's
equivalence test holds them to the single envs. Indices are resolved by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from simreal.envs.cartpole.env import (
    CENTERED_TOLERANCE_M,
    FALLEN_ANGLE_RAD,
    CartpoleEnv,
)
from simreal.envs.cartpole.env import SLOW_TOLERANCE_RAD_S as CARTPOLE_SLOW
from simreal.envs.cartpole.env import UPRIGHT_TOLERANCE_RAD as CARTPOLE_UPRIGHT
from simreal.envs.model_env import ModelEnv, encoder_observation
from simreal.envs.pendulum.env import (
    SLOW_TOLERANCE_RAD_S,
    UPRIGHT_TOLERANCE_RAD,
    PendulumSwingupEnv,
)
from simreal.envs.push.env import PUSHER_ACTUATORS, PushEnv
from simreal.envs.reach.env import JOINTS, SUCCESS_DISTANCE_M, ReachEnv
from simreal.vector.batched_task import Arrays, BatchedTask, register_batched, wrap_angle


def _qpos(env: Any, joint: str) -> int:  # noqa: ANN401
    return int(env.model.joint(joint).qposadr[0])


def _dof(env: Any, joint: str) -> int:  # noqa: ANN401
    return int(env.model.joint(joint).dofadr[0])


@register_batched(PendulumSwingupEnv)
class PendulumSwingupBatched(BatchedTask):
    """Pendulum swing-up."""

    def __init__(self, env: PendulumSwingupEnv) -> None:
        super().__init__(env)
        self.q, self.v = _qpos(env, "hinge"), _dof(env, "hinge")

    def observe(self, d: Arrays) -> NDArray:  # noqa: D102
        angle = d["qpos"][:, self.q]
        return np.stack([np.cos(angle), np.sin(angle), d["qvel"][:, self.v]], axis=1)

    def reward_terms(self, d: Arrays, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401, D102
        upright = 0.5 * (1.0 + np.cos(d["qpos"][:, self.q]))
        return {
            "upright": upright,
            "ctrl": -self.env.ctrl_cost_weight * np.sum(action * action, axis=1),
        }

    def success(self, d: Arrays) -> NDArray:  # noqa: D102
        angle = wrap_angle(d["qpos"][:, self.q])
        return (np.abs(angle) < UPRIGHT_TOLERANCE_RAD) & (
            np.abs(d["qvel"][:, self.v]) < SLOW_TOLERANCE_RAD_S
        )


@register_batched(CartpoleEnv)
class CartpoleBatched(BatchedTask):
    """Cart-pole balance and swing-up."""

    def __init__(self, env: CartpoleEnv) -> None:
        super().__init__(env)
        self.x, self.xv = _qpos(env, "slider"), _dof(env, "slider")
        self.a, self.av = _qpos(env, "hinge"), _dof(env, "hinge")

    def observe(self, d: Arrays) -> NDArray:  # noqa: D102
        q, v = d["qpos"], d["qvel"]
        angle = q[:, self.a]
        return np.stack(
            [q[:, self.x], np.cos(angle), np.sin(angle), v[:, self.xv], v[:, self.av]], axis=1
        )

    def reward_terms(self, d: Arrays, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401, D102
        x = d["qpos"][:, self.x]
        return {
            "upright": 0.5 * (1.0 + np.cos(d["qpos"][:, self.a])),
            "centered": -0.05 * x * x,
            "ctrl": -1e-3 * np.sum(action * action, axis=1),
        }

    def success(self, d: Arrays) -> NDArray:  # noqa: D102
        angle = wrap_angle(d["qpos"][:, self.a])
        return (
            (np.abs(angle) < CARTPOLE_UPRIGHT)
            & (np.abs(d["qvel"][:, self.av]) < CARTPOLE_SLOW)
            & (np.abs(d["qpos"][:, self.x]) < CENTERED_TOLERANCE_M)
        )

    def terminated(self, d: Arrays) -> NDArray:  # noqa: D102
        if self.env.swingup:
            return np.zeros(len(d["qpos"]), bool)
        return np.abs(wrap_angle(d["qpos"][:, self.a])) > FALLEN_ANGLE_RAD


@register_batched(ReachEnv)
class ReachBatched(BatchedTask):
    """Three-joint reach."""

    fields = ("qpos", "qvel", "site_xpos", "xpos")

    def __init__(self, env: ReachEnv) -> None:
        super().__init__(env)
        self.q = np.array([_qpos(env, j) for j in JOINTS])
        self.v = np.array([_dof(env, j) for j in JOINTS])
        self.site = int(env.model.site("fingertip").id)
        self.target = int(env.model.body("target").id)

    def _tip_and_target(self, d: Arrays) -> tuple[NDArray, NDArray]:
        return d["site_xpos"][:, self.site], d["xpos"][:, self.target]

    def observe(self, d: Arrays) -> NDArray:  # noqa: D102
        tip, target = self._tip_and_target(d)
        return np.concatenate(
            [d["qpos"][:, self.q], d["qvel"][:, self.v], tip, target, target - tip], axis=1
        )

    def reward_terms(self, d: Arrays, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401, D102
        tip, target = self._tip_and_target(d)
        qvel = d["qvel"][:, self.v]
        return {
            "distance": -np.linalg.norm(target - tip, axis=1),
            "velocity": -1e-3 * np.sum(qvel * qvel, axis=1),
        }

    def success(self, d: Arrays) -> NDArray:  # noqa: D102
        tip, target = self._tip_and_target(d)
        return np.linalg.norm(target - tip, axis=1) < SUCCESS_DISTANCE_M


@register_batched(PushEnv)
class PushBatched(BatchedTask):
    """Table-top pushing."""

    fields = ("qpos", "qvel", "xpos", "xmat")

    def __init__(self, env: PushEnv) -> None:
        super().__init__(env)
        self.pq = np.array([_qpos(env, j) for j in PUSHER_ACTUATORS])
        self.pv = np.array([_dof(env, j) for j in PUSHER_ACTUATORS])
        self.block = int(env.model.body("block").id)
        self.goal = int(env.model.body("goal").id)
        self.block_v = _dof(env, "block_joint")

    def _parts(self, d: Arrays) -> tuple[NDArray, NDArray, NDArray]:
        return d["qpos"][:, self.pq], d["xpos"][:, self.block, :2], d["xpos"][:, self.goal, :2]

    def observe(self, d: Arrays) -> NDArray:  # noqa: D102
        pusher, block, goal = self._parts(d)
        rot = d["xmat"][:, self.block]
        yaw = np.arctan2(rot[:, 3], rot[:, 0])
        block_vel = d["qvel"][:, self.block_v : self.block_v + 2]
        return np.concatenate(
            [pusher, d["qvel"][:, self.pv], block, np.stack([np.cos(yaw), np.sin(yaw)], axis=1),
             block_vel, goal, goal - block],
            axis=1,
        )  # fmt: skip

    def reward_terms(self, d: Arrays, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401, D102
        pusher, block, goal = self._parts(d)
        displacement = action - pusher
        return {
            "block_to_goal": -np.linalg.norm(goal - block, axis=1),
            "pusher_to_block": -self.env.pusher_cost_weight
            * np.linalg.norm(block - pusher, axis=1),
            "ctrl": -self.env.ctrl_cost_weight * np.sum(displacement * displacement, axis=1),
        }

    def success(self, d: Arrays) -> NDArray:  # noqa: D102
        _, block, goal = self._parts(d)
        return np.linalg.norm(goal - block, axis=1) < self.env.goal_tolerance


@register_batched(ModelEnv)
class ModelBatched(BatchedTask):
    """``simreal/Model-v0``: the encoders' reading, no reward, never terminates."""

    def observe(self, d: Arrays) -> NDArray:
        """1-DoF joint positions then velocities, as the single env observes them."""
        return encoder_observation(d["qpos"], d["qvel"], self.env.qpos_adr, self.env.dof_adr)

    def reward_terms(self, d: Arrays, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """No reward: a robot, not a task."""
        return {"none": np.zeros(len(d["qpos"]))}

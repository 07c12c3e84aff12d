"""Reach: a three-joint arm with position servos brings its fingertip to a target.

Observation (``obs_type="state"``, shape ``(15,)``):

======  ==========================================  ======
idx     quantity                                    unit
======  ==========================================  ======
0-2     joint angles ``base_yaw, shoulder, elbow``  rad
3-5     joint velocities (same order)               rad/s
6-8     fingertip position (site ``fingertip``)     m
9-11    target position (mocap body ``target``)     m
12-14   target minus fingertip                      m
======  ==========================================  ======

Positions are in the world frame, whose origin is the arm's base on the table top.

Action (shape ``(3,)``): joint angle targets of the position servos ``base_yaw``,
``shoulder`` and ``elbow`` in rad, within their ``ctrlrange``. The servos have
gains ``kp`` (N m/rad) and ``kv`` (N m s/rad) and do not compensate gravity.

Reward terms (``info["reward_<name>"]``): ``distance = -|target - fingertip|``
and ``velocity = -0.001 * |joint velocities|**2``. Success: fingertip within
2 cm of the target. Targets are drawn in front of the arm, 0.2-0.4 m from the
base axis, 0.05-0.3 m above the table, within 1.2 rad of straight ahead;
episodes last 100 steps (2 s at 50 Hz).

``obs_type="pixels"`` (``ReachPixels``) returns RGB images from the camera ``front``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.envs.mujoco_task import MujocoTaskEnv
from simreal.envs.task_arrays import State, TaskArrays

JOINTS = ("base_yaw", "shoulder", "elbow")
SUCCESS_DISTANCE_M = 0.02
TARGET_RADIUS_M = (0.2, 0.4)
TARGET_HEIGHT_M = (0.05, 0.3)
TARGET_YAW_RAD = 1.2


class ReachArrays(TaskArrays):
    """The reach task's observation, reward and success over N simulations."""

    fields = ("qpos", "qvel", "site_xpos", "xpos")

    def __init__(self, env: ReachEnv) -> None:
        super().__init__(env)
        self.q = np.array([self.qpos_index(j) for j in JOINTS])
        self.v = np.array([self.dof_index(j) for j in JOINTS])
        self.site = int(env.model.site("fingertip").id)
        self.target = int(env.model.body("target").id)

    def tip_and_target(self, s: State) -> tuple[NDArray, NDArray]:
        """The fingertip's and the target's positions, ``(N, 3)`` each."""
        return s["site_xpos"][:, self.site], s["xpos"][:, self.target]

    def observe(self, s: State) -> NDArray:
        """Joint angles, velocities, fingertip, target and their difference."""
        tip, target = self.tip_and_target(s)
        return np.concatenate(
            [s["qpos"][:, self.q], s["qvel"][:, self.v], tip, target, target - tip], axis=1
        )

    def reward_terms(self, s: State, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """The distance and joint-velocity terms."""
        tip, target = self.tip_and_target(s)
        qvel = s["qvel"][:, self.v]
        return {
            "distance": -np.linalg.norm(target - tip, axis=1),
            "velocity": -1e-3 * (qvel * qvel).sum(axis=1),
        }

    def success(self, s: State) -> NDArray:
        """The fingertip within 2 cm of the target."""
        tip, target = self.tip_and_target(s)
        return np.linalg.norm(target - tip, axis=1) < SUCCESS_DISTANCE_M


class ReachEnv(MujocoTaskEnv):
    """Three-joint arm reaching (see the module docstring for the tables).

    Args:
        frame_skip: Physics steps (2 ms each) per control step.
        obs_type: ``"state"`` or ``"pixels"``.
        image_size: Side of the square image observation.
        render_mode: ``None`` or ``"rgb_array"``.
        width: Width of rendered frames.
        height: Height of rendered frames.
    """

    xml_file: ClassVar[str] = "reach.xml"
    camera_name: ClassVar[str] = "front"
    state_dim: ClassVar[int] = 15
    arrays: ClassVar[type[TaskArrays]] = ReachArrays

    def __init__(
        self,
        frame_skip: int = 10,
        obs_type: str = "state",
        image_size: int = 84,
        render_mode: str | None = None,
        width: int = 480,
        height: int = 480,
    ) -> None:
        super().__init__(frame_skip, obs_type, image_size, render_mode, width, height)

    def joint_angles(self) -> NDArray[np.float64]:
        """Return the joint angles in :data:`JOINTS` order (rad)."""
        return np.array([self.data.joint(j).qpos[0] for j in JOINTS])

    def joint_velocities(self) -> NDArray[np.float64]:
        """Return the joint velocities in :data:`JOINTS` order (rad/s)."""
        return np.array([self.data.joint(j).qvel[0] for j in JOINTS])

    def target_position(self) -> NDArray[np.float64]:
        """Return the target's position (m)."""
        return self.data.body("target").xpos.copy()

    def distance(self) -> float:
        """Return the fingertip-to-target distance (m)."""
        return float(np.linalg.norm(self.target_position() - self.data.site("fingertip").xpos))

    def sample_initial_state(self) -> None:
        """Random joint angles near the rest pose and a random target in front."""
        rng = self.np_random
        rest = np.array([0.0, 0.3, 1.2])
        for name, angle in zip(JOINTS, rest + rng.uniform(-0.2, 0.2, size=3), strict=True):
            self.data.joint(name).qpos[0] = angle
            self.hold_actuator(name, angle)
        radius = rng.uniform(*TARGET_RADIUS_M)
        yaw = rng.uniform(-TARGET_YAW_RAD, TARGET_YAW_RAD)
        height = rng.uniform(*TARGET_HEIGHT_M)
        mocap_id = self.model.body("target").mocapid[0]
        self.data.mocap_pos[mocap_id] = [radius * np.cos(yaw), radius * np.sin(yaw), height]
        mujoco.mj_kinematics(self.model, self.data)

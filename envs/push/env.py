"""Table-top pushing: slide a free block onto a goal marker with a gantry pusher.

The scene (``assets/push.xml``) is a 0.8 m x 0.8 m table whose top is the plane
z = 0, a 5 cm, 0.2 kg cube ("block", friction 0.5 on the table), a 1.5 cm-radius
cylindrical pusher tip on a 2-axis gantry driven by position servos
(kp 200 N/m, kv 8 N s/m, +-15 N; the slide joints add 12 N s/m of damping, so
the pusher moves at most about 1.25 m/s), and a non-colliding goal disc (a
mocap body).

Observation (``obs_type="state"``, shape ``(14,)``):

=====  ==============================  =====
idx    quantity                        unit
=====  ==============================  =====
0-1    pusher position x, y            m
2-3    pusher velocity x, y            m/s
4-5    block position x, y             m
6-7    cos, sin of block yaw           --
8-9    block velocity x, y             m/s
10-11  goal position x, y              m
12-13  goal minus block position x, y  m
=====  ==============================  =====

Positions are in the world frame, whose origin is the centre of the table top.
With ``obs_type="pixels"`` the observation is an ``(image_size, image_size, 3)``
``uint8`` RGB image from the fixed ``overhead`` camera (pusher, block and goal
are in view) and the vector above is in ``info["state"]``.

Action (shape ``(2,)``, range [-0.3, 0.3] m each): target x, y of the pusher,
tracked by the position servos ``pusher_x`` and ``pusher_y``.

Timing: physics timestep 2 ms, ``frame_skip=20`` by default, i.e. a 40 ms
(25 Hz) control period; episodes last 250 steps (10 s) and never terminate early.

Reward terms (in ``info`` as ``reward_<name>``; the reward is their sum):

* ``block_to_goal = -|goal - block|`` (m, xy distance);
* ``pusher_to_block = -pusher_cost_weight * |block - pusher|`` (default weight 0.1);
* ``ctrl = -ctrl_cost_weight * |action - pusher|**2``, the squared servo
  displacement (proportional to the servo effort; default weight 0.1).

Success: the block's centre is within ``goal_tolerance`` (default 3 cm, the
radius of the goal disc) of the goal in the table plane.

Initial state: the block rests at a uniform random spot of the central
+-12 cm square with a random yaw; the goal is uniform in the +-20 cm square,
at least 10 cm from the block; the pusher is uniform in the +-25 cm square, at
least 8 cm from the block's centre. Everything is at rest.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from simreal.envs.mujoco_task import MujocoTaskEnv
from simreal.envs.task_arrays import State, TaskArrays, columns

SUCCESS_TOLERANCE_M = 0.03
EPISODE_STEPS = 250
BLOCK_REGION_M = 0.12
GOAL_REGION_M = 0.2
PUSHER_REGION_M = 0.25
MIN_GOAL_DISTANCE_M = 0.1
MIN_PUSHER_DISTANCE_M = 0.08
PUSHER_ACTUATORS = ("pusher_x", "pusher_y")


def _check_number(name: str, value: float, positive: bool = False) -> float:
    """Validate a finite real constructor argument that must be >= 0 (or > 0).

    Args:
        name: Argument name, used in the error message.
        value: The value given.
        positive: Require ``value > 0`` instead of ``value >= 0``.

    Returns:
        The value as ``float``.

    Raises:
        ValueError: If the value is not a finite real number in the range.
    """
    bound = "> 0" if positive else ">= 0"
    valid = (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and bool(np.isfinite(value))
        and (value > 0 if positive else value >= 0)
    )
    if not valid:
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")
    return float(value)


class PushArrays(TaskArrays):
    """The push task's observation, reward and success over N simulations."""

    fields = ("qpos", "qvel", "xpos", "xmat")

    def __init__(self, env: PushEnv) -> None:
        super().__init__(env)
        self.pq = np.array([self.qpos_index(j) for j in PUSHER_ACTUATORS])
        self.pv = np.array([self.dof_index(j) for j in PUSHER_ACTUATORS])
        self.block = int(env.model.body("block").id)
        self.goal = int(env.model.body("goal").id)
        self.block_v = self.dof_index("block_joint")

    def parts(self, s: State) -> tuple[NDArray, NDArray, NDArray]:
        """The pusher's, the block's and the goal's positions in the table plane."""
        return s["qpos"][:, self.pq], s["xpos"][:, self.block, :2], s["xpos"][:, self.goal, :2]

    def observe(self, s: State) -> NDArray:
        """The 14-vector of the module docstring's table."""
        pusher, block, goal = self.parts(s)
        rot = s["xmat"][:, self.block]
        yaw = np.arctan2(rot[:, 3], rot[:, 0])
        block_vel = s["qvel"][:, self.block_v : self.block_v + 2]
        return np.concatenate(
            [pusher, s["qvel"][:, self.pv], block, columns(np.cos(yaw), np.sin(yaw)),
             block_vel, goal, goal - block],
            axis=1,
        )  # fmt: skip

    def reward_terms(self, s: State, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """The goal-distance, pusher-distance and servo-effort terms."""
        pusher, block, goal = self.parts(s)
        displacement = action - pusher
        return {
            "block_to_goal": -np.linalg.norm(goal - block, axis=1),
            "pusher_to_block": -self.env.pusher_cost_weight
            * np.linalg.norm(block - pusher, axis=1),
            "ctrl": -self.env.ctrl_cost_weight * (displacement * displacement).sum(axis=1),
        }

    def success(self, s: State) -> NDArray:
        """The block's centre within the tolerance of the goal."""
        _, block, goal = self.parts(s)
        return np.linalg.norm(goal - block, axis=1) < self.env.goal_tolerance


class PushEnv(MujocoTaskEnv):
    """Push a block onto a goal (see the module docstring for the tables).

    Args:
        frame_skip: Physics steps (2 ms each) per control step.
        obs_type: ``"state"`` or ``"pixels"``.
        image_size: Side of the square image observation.
        render_mode: ``None``, ``"rgb_array"`` or ``"depth_array"``.
        width: Width of rendered frames.
        height: Height of rendered frames.
        goal_tolerance: Success radius around the goal in metres (> 0).
        pusher_cost_weight: Weight of the pusher-to-block distance penalty (>= 0).
        ctrl_cost_weight: Weight of the squared servo-displacement penalty (>= 0).
    """

    xml_file: ClassVar[str] = "push.xml"
    camera_name: ClassVar[str] = "overhead"
    state_dim: ClassVar[int] = 14
    arrays: ClassVar[type[TaskArrays]] = PushArrays

    def __init__(
        self,
        frame_skip: int = 20,
        obs_type: str = "state",
        image_size: int = 84,
        render_mode: str | None = None,
        width: int = 480,
        height: int = 480,
        goal_tolerance: float = SUCCESS_TOLERANCE_M,
        pusher_cost_weight: float = 0.1,
        ctrl_cost_weight: float = 0.1,
    ) -> None:
        self.goal_tolerance = _check_number("goal_tolerance", goal_tolerance, positive=True)
        self.pusher_cost_weight = _check_number("pusher_cost_weight", pusher_cost_weight)
        self.ctrl_cost_weight = _check_number("ctrl_cost_weight", ctrl_cost_weight)
        super().__init__(frame_skip, obs_type, image_size, render_mode, width, height)

    # -- quantities read by name -------------------------------------------
    def pusher_xy(self) -> NDArray[np.float64]:
        """Return the pusher's position ``[x, y]`` (m)."""
        return np.array([self.data.joint("pusher_x").qpos[0], self.data.joint("pusher_y").qpos[0]])

    def pusher_velocity(self) -> NDArray[np.float64]:
        """Return the pusher's velocity ``[vx, vy]`` (m/s)."""
        return np.array([self.data.joint("pusher_x").qvel[0], self.data.joint("pusher_y").qvel[0]])

    def block_xy(self) -> NDArray[np.float64]:
        """Return the block's centre ``[x, y]`` (m)."""
        return self.data.body("block").xpos[:2].copy()

    def block_yaw(self) -> float:
        """Return the block's rotation about the vertical axis (rad)."""
        rot = self.data.body("block").xmat.reshape(3, 3)
        return float(np.arctan2(rot[1, 0], rot[0, 0]))

    def block_velocity(self) -> NDArray[np.float64]:
        """Return the block's linear velocity ``[vx, vy]`` in the world frame (m/s)."""
        # A free joint's translational velocity is expressed in the world frame.
        return self.data.joint("block_joint").qvel[:2].copy()

    def goal_xy(self) -> NDArray[np.float64]:
        """Return the goal's position ``[x, y]`` (m)."""
        return self.data.body("goal").xpos[:2].copy()

    def block_to_goal_distance(self) -> float:
        """Return the block-to-goal distance in the table plane (m)."""
        return float(np.linalg.norm(self.goal_xy() - self.block_xy()))

    def sample_initial_state(self) -> None:
        """Place block, goal and pusher at random (see the module docstring)."""
        rng = self.np_random
        block = rng.uniform(-BLOCK_REGION_M, BLOCK_REGION_M, size=2)
        yaw = rng.uniform(-np.pi, np.pi)
        goal = rng.uniform(-GOAL_REGION_M, GOAL_REGION_M, size=2)
        while np.linalg.norm(goal - block) < MIN_GOAL_DISTANCE_M:
            goal = rng.uniform(-GOAL_REGION_M, GOAL_REGION_M, size=2)
        pusher = rng.uniform(-PUSHER_REGION_M, PUSHER_REGION_M, size=2)
        while np.linalg.norm(pusher - block) < MIN_PUSHER_DISTANCE_M:
            pusher = rng.uniform(-PUSHER_REGION_M, PUSHER_REGION_M, size=2)

        block_joint = self.data.joint("block_joint")
        half_height = self.model.geom("block").size[2]
        block_joint.qpos[:3] = [block[0], block[1], half_height]
        block_joint.qpos[3:] = [np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)]
        block_joint.qvel[:] = 0.0
        self.data.mocap_pos[self.model.body("goal").mocapid[0]] = [goal[0], goal[1], 0.0]

        # The servos start holding the pusher where it is, including any
        # command history of delayed actuators.
        for name, coordinate in zip(PUSHER_ACTUATORS, pusher, strict=True):
            self.data.joint(name).qpos[0] = coordinate
            self.data.joint(name).qvel[0] = 0.0
            self.hold_actuator(name, coordinate)

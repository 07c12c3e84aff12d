"""Pendulum swing-up: pump energy with a weak motor, then balance upright.

Observation (``obs_type="state"``, shape ``(3,)``):

===  =====================  ======
idx  quantity               unit
===  =====================  ======
0    cos(hinge angle)       --
1    sin(hinge angle)       --
2    hinge angular velocity rad/s
===  =====================  ======

The hinge angle is 0 with the pole upright and pi hanging down.

Action (shape ``(1,)``, range [-1, 1]): normalised motor command; the motor
``torque`` applies ``gear * action`` N m (2 N m at full command, less than the
5.2 N m that gravity exerts at horizontal, so the swing-up must pump energy).

Reward terms (in ``info`` as ``reward_<name>``): ``upright = (1 + cos angle) / 2``
and ``ctrl = -0.001 * action**2``. Success: within 0.2 rad of upright and slower
than 1 rad/s. Episodes start hanging down and last 400 steps (8 s at 50 Hz).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from simreal.envs.mujoco_task import MujocoTaskEnv
from simreal.envs.task_arrays import State, TaskArrays, columns, wrap_angle

UPRIGHT_TOLERANCE_RAD = 0.2
SLOW_TOLERANCE_RAD_S = 1.0
EPISODE_STEPS = 400


class PendulumArrays(TaskArrays):
    """The pendulum's observation, reward and success over N simulations."""

    def __init__(self, env: PendulumSwingupEnv) -> None:
        super().__init__(env)
        self.q, self.v = self.qpos_index("hinge"), self.dof_index("hinge")

    def observe(self, s: State) -> NDArray:
        """``[cos angle, sin angle, angular velocity]``."""
        angle = s["qpos"][:, self.q]
        return columns(np.cos(angle), np.sin(angle), s["qvel"][:, self.v])

    def reward_terms(self, s: State, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """The upright reward and the control penalty."""
        return {
            "upright": 0.5 * (1.0 + np.cos(s["qpos"][:, self.q])),
            "ctrl": -self.env.ctrl_cost_weight * (action * action).sum(axis=1),
        }

    def success(self, s: State) -> NDArray:
        """Balanced upright: within the angle tolerance and slow."""
        angle = wrap_angle(s["qpos"][:, self.q])
        return (np.abs(angle) < UPRIGHT_TOLERANCE_RAD) & (
            np.abs(s["qvel"][:, self.v]) < SLOW_TOLERANCE_RAD_S
        )


class PendulumSwingupEnv(MujocoTaskEnv):
    """Torque-limited pendulum swing-up (see the module docstring for the tables).

    Args:
        frame_skip: Physics steps (10 ms each) per control step.
        obs_type: ``"state"`` or ``"pixels"``.
        image_size: Side of the square image observation.
        render_mode: ``None`` or ``"rgb_array"``.
        width: Width of rendered frames.
        height: Height of rendered frames.
        ctrl_cost_weight: Weight of the squared-action penalty.
    """

    xml_file: ClassVar[str] = "pendulum.xml"
    camera_name: ClassVar[str] = "front"
    state_dim: ClassVar[int] = 3
    arrays: ClassVar[type[TaskArrays]] = PendulumArrays

    def __init__(
        self,
        frame_skip: int = 2,
        obs_type: str = "state",
        image_size: int = 84,
        render_mode: str | None = None,
        width: int = 480,
        height: int = 480,
        ctrl_cost_weight: float = 1e-3,
    ) -> None:
        if not np.isfinite(ctrl_cost_weight) or ctrl_cost_weight < 0:
            raise ValueError(
                f"ctrl_cost_weight must be a finite number >= 0, got {ctrl_cost_weight!r}."
            )
        self.ctrl_cost_weight = float(ctrl_cost_weight)
        super().__init__(frame_skip, obs_type, image_size, render_mode, width, height)

    def angle(self) -> float:
        """Return the hinge angle wrapped to [-pi, pi) (0 = upright)."""
        return float(wrap_angle(self.data.joint("hinge").qpos[0]))

    def sample_initial_state(self) -> None:
        """Start hanging down with a small random offset and velocity."""
        hinge = self.data.joint("hinge")
        hinge.qpos[0] = np.pi + self.np_random.uniform(-0.1, 0.1)
        hinge.qvel[0] = self.np_random.uniform(-0.1, 0.1)

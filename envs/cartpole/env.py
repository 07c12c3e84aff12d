"""Cart-pole on a bounded rail: balance the pole upright, or swing it up first.

Observation (``obs_type="state"``, shape ``(5,)``):

===  ==========================  ======
idx  quantity                    unit
===  ==========================  ======
0    cart position ``slider``    m
1    cos(pole angle ``hinge``)   --
2    sin(pole angle ``hinge``)   --
3    cart velocity               m/s
4    pole angular velocity       rad/s
===  ==========================  ======

The pole angle is 0 upright and pi hanging down; the rail ends at +-1.8 m.

Action (shape ``(1,)``, range [-1, 1]): normalised cart force; the motor
``slide`` pushes with ``gear * action`` N (10 N at full command).

Reward terms (``info["reward_<name>"]``): ``upright = (1 + cos angle) / 2``,
``centered = -0.05 * position**2``, ``ctrl = -0.001 * action**2``.
Success: pole within 0.2 rad of upright, slower than 1 rad/s, cart within 0.5 m
of the centre.

Variants: ``swingup=False`` (``CartpoleBalance``) starts near upright and
terminates when the pole tilts past 0.6 rad; ``swingup=True``
(``CartpoleSwingup``) starts hanging down and never terminates. Both last 500
steps (10 s at 50 Hz).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from simreal.envs.mujoco_task import MujocoTaskEnv
from simreal.envs.task_arrays import State, TaskArrays, columns, wrap_angle

UPRIGHT_TOLERANCE_RAD = 0.2
SLOW_TOLERANCE_RAD_S = 1.0
CENTERED_TOLERANCE_M = 0.5
FALLEN_ANGLE_RAD = 0.6


class CartpoleArrays(TaskArrays):
    """The cart-pole's observation, reward, success and termination over N simulations."""

    def __init__(self, env: CartpoleEnv) -> None:
        super().__init__(env)
        self.x, self.xv = self.qpos_index("slider"), self.dof_index("slider")
        self.a, self.av = self.qpos_index("hinge"), self.dof_index("hinge")

    def observe(self, s: State) -> NDArray:
        """``[x, cos angle, sin angle, x velocity, angular velocity]``."""
        q, v = s["qpos"], s["qvel"]
        angle = q[:, self.a]
        return columns(q[:, self.x], np.cos(angle), np.sin(angle), v[:, self.xv], v[:, self.av])

    def reward_terms(self, s: State, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """The upright, centring and control terms."""
        x = s["qpos"][:, self.x]
        return {
            "upright": 0.5 * (1.0 + np.cos(s["qpos"][:, self.a])),
            "centered": -0.05 * x * x,
            "ctrl": -1e-3 * (action * action).sum(axis=1),
        }

    def success(self, s: State) -> NDArray:
        """Balanced upright, slow, near the rail's centre."""
        angle = wrap_angle(s["qpos"][:, self.a])
        return (
            (np.abs(angle) < UPRIGHT_TOLERANCE_RAD)
            & (np.abs(s["qvel"][:, self.av]) < SLOW_TOLERANCE_RAD_S)
            & (np.abs(s["qpos"][:, self.x]) < CENTERED_TOLERANCE_M)
        )

    def terminated(self, s: State) -> NDArray:
        """In the balance variant, the episode ends when the pole has fallen."""
        if self.env.swingup:
            return np.zeros(len(s["qpos"]), bool)
        return np.abs(wrap_angle(s["qpos"][:, self.a])) > FALLEN_ANGLE_RAD


class CartpoleEnv(MujocoTaskEnv):
    """Cart-pole balance or swing-up (see the module docstring for the tables).

    Args:
        swingup: Start hanging down (swing-up) instead of near upright (balance).
        frame_skip: Physics steps (10 ms each) per control step.
        obs_type: ``"state"`` or ``"pixels"``.
        image_size: Side of the square image observation.
        render_mode: ``None`` or ``"rgb_array"``.
        width: Width of rendered frames.
        height: Height of rendered frames.
    """

    xml_file: ClassVar[str] = "cartpole.xml"
    camera_name: ClassVar[str] = "front"
    state_dim: ClassVar[int] = 5
    arrays: ClassVar[type[TaskArrays]] = CartpoleArrays

    def __init__(
        self,
        swingup: bool = False,
        frame_skip: int = 2,
        obs_type: str = "state",
        image_size: int = 84,
        render_mode: str | None = None,
        width: int = 480,
        height: int = 480,
    ) -> None:
        if not isinstance(swingup, (bool, np.bool_)):
            raise ValueError(f"swingup must be True or False, got {swingup!r}.")
        self.swingup = bool(swingup)
        super().__init__(frame_skip, obs_type, image_size, render_mode, width, height)

    def angle(self) -> float:
        """Return the pole angle wrapped to [-pi, pi) (0 = upright)."""
        return float(wrap_angle(self.data.joint("hinge").qpos[0]))

    def sample_initial_state(self) -> None:
        """Balance: near upright and centred. Swing-up: hanging down."""
        rng = self.np_random
        slider, hinge = self.data.joint("slider"), self.data.joint("hinge")
        slider.qpos[0] = rng.uniform(-0.1, 0.1)
        slider.qvel[0] = rng.uniform(-0.05, 0.05)
        hinge.qpos[0] = (np.pi if self.swingup else 0.0) + rng.uniform(-0.05, 0.05)
        hinge.qvel[0] = rng.uniform(-0.05, 0.05)

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

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from simreal.envs.mujoco_task import MujocoTaskEnv
from simreal.envs.pendulum.env import wrap_angle

UPRIGHT_TOLERANCE_RAD = 0.2
SLOW_TOLERANCE_RAD_S = 1.0
CENTERED_TOLERANCE_M = 0.5
FALLEN_ANGLE_RAD = 0.6


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

    def state_obs(self) -> NDArray[np.float64]:
        """Return ``[x, cos angle, sin angle, x velocity, angular velocity]``."""
        slider, hinge = self.data.joint("slider"), self.data.joint("hinge")
        angle = hinge.qpos[0]
        return np.array(
            [slider.qpos[0], np.cos(angle), np.sin(angle), slider.qvel[0], hinge.qvel[0]]
        )

    def reward_terms(self, action: NDArray[np.float64]) -> dict[str, float]:
        """Return the upright, centring and control terms."""
        x = self.data.joint("slider").qpos[0]
        return {
            "upright": float(0.5 * (1.0 + np.cos(self.data.joint("hinge").qpos[0]))),
            "centered": float(-0.05 * x * x),
            "ctrl": float(-1e-3 * action @ action),
        }

    def is_success(self) -> bool:
        """Return whether the pole is balanced upright near the rail's centre."""
        return (
            abs(self.angle()) < UPRIGHT_TOLERANCE_RAD
            and abs(self.data.joint("hinge").qvel[0]) < SLOW_TOLERANCE_RAD_S
            and abs(self.data.joint("slider").qpos[0]) < CENTERED_TOLERANCE_M
        )

    def is_terminated(self) -> bool:
        """In the balance variant, the episode ends when the pole has fallen."""
        return not self.swingup and abs(self.angle()) > FALLEN_ANGLE_RAD

    def sample_initial_state(self) -> None:
        """Balance: near upright and centred. Swing-up: hanging down."""
        rng = self.np_random
        slider, hinge = self.data.joint("slider"), self.data.joint("hinge")
        slider.qpos[0] = rng.uniform(-0.1, 0.1)
        slider.qvel[0] = rng.uniform(-0.05, 0.05)
        hinge.qpos[0] = (np.pi if self.swingup else 0.0) + rng.uniform(-0.05, 0.05)
        hinge.qvel[0] = rng.uniform(-0.05, 0.05)

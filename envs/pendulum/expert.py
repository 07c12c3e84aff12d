"""Energy-pumping swing-up with an LQR balance controller for the pendulum."""

from __future__ import annotations

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.asset_paths import asset_path
from simreal.envs.expert import Expert
from simreal.envs.lqr import linearize, lqr_gain

LQR_REGION_RAD = 0.35


class PendulumSwingupExpert(Expert):
    """Åström-Furuta energy control far from upright, LQR near upright.

    Everything it knows comes from the nominal model: the upright energy from
    ``mjData.energy`` and the LQR gain from a finite-difference linearisation.

    Args:
        frame_skip: Physics steps per control step of the env it controls.
        energy_gain: Gain of the energy-pumping law (saturated at the torque limit).
    """

    def __init__(self, frame_skip: int = 2, energy_gain: float = 20.0) -> None:
        self.model = mujoco.MjModel.from_xml_path(str(asset_path("pendulum.xml")))
        self.model.opt.enableflags |= mujoco.mjtEnableBit.mjENBL_ENERGY
        self.data = mujoco.MjData(self.model)
        self.energy_gain = energy_gain
        self.upright_energy = self.energy(0.0, 0.0)
        a, b = linearize(self.model, np.zeros(1), np.zeros(1), frame_skip)
        self.gain = lqr_gain(a, b, np.diag([20.0, 1.0]), np.array([[1.0]]))

    def energy(self, angle: float, velocity: float) -> float:
        """Return the pendulum's mechanical energy at a state (J)."""
        self.data.joint("hinge").qpos[0] = angle
        self.data.joint("hinge").qvel[0] = velocity
        mujoco.mj_forward(self.model, self.data)
        return float(self.data.energy.sum())

    def act(self, obs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the motor command for ``[cos, sin, angular velocity]``."""
        angle = float(np.arctan2(obs[1], obs[0]))
        velocity = float(obs[2])
        if abs(angle) < LQR_REGION_RAD:
            u = -self.gain @ np.array([angle, velocity])
        else:
            deficit = self.upright_energy - self.energy(angle, velocity)
            u = np.array([self.energy_gain * deficit * velocity])
        return np.clip(u, -1.0, 1.0)

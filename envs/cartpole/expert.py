"""Energy-based swing-up with an LQR balance controller for the cart-pole."""

from __future__ import annotations

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.asset_paths import asset_path
from simreal.envs.expert import Expert
from simreal.envs.lqr import linearize, lqr_gain

LQR_REGION_RAD = 0.3


class CartpoleExpert(Expert):
    """Pump the pole's energy to the upright level, then balance with LQR.

    The pole energy (in the cart's frame) comes from the nominal model's
    ``mjData.energy`` and the LQR gain from its finite-difference linearisation,
    so the controller knows only the nominal plant.

    Args:
        frame_skip: Physics steps per control step of the env it controls.
        energy_gain: Gain of the energy-pumping law.
        centering_gain: Position and velocity gains that keep the cart on the rail
            during the swing-up.
    """

    def __init__(
        self,
        frame_skip: int = 2,
        energy_gain: float = 8.0,
        centering_gain: tuple[float, float] = (0.4, 0.4),
    ) -> None:
        self.model = mujoco.MjModel.from_xml_path(str(asset_path("cartpole.xml")))
        self.model.opt.enableflags |= mujoco.mjtEnableBit.mjENBL_ENERGY
        self.data = mujoco.MjData(self.model)
        self.energy_gain = energy_gain
        self.centering_gain = centering_gain
        self.upright_energy = self.pole_energy(0.0, 0.0)
        a, b = linearize(self.model, np.zeros(2), np.zeros(1), frame_skip)
        self.gain = lqr_gain(a, b, np.diag([2.0, 20.0, 0.5, 0.5]), np.array([[1.0]]))

    def pole_energy(self, angle: float, velocity: float) -> float:
        """Return the pole's energy with the cart at rest (J)."""
        self.data.joint("slider").qpos[0] = 0.0
        self.data.joint("slider").qvel[0] = 0.0
        self.data.joint("hinge").qpos[0] = angle
        self.data.joint("hinge").qvel[0] = velocity
        mujoco.mj_forward(self.model, self.data)
        return float(self.data.energy.sum())

    def act(self, obs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the cart force command for ``[x, cos, sin, x_dot, angle_dot]``."""
        x, cos, sin, x_dot, angle_dot = obs
        angle = float(np.arctan2(sin, cos))
        if abs(angle) < LQR_REGION_RAD:
            u = -self.gain @ np.array([x, angle, x_dot, angle_dot])
        else:
            deficit = self.upright_energy - self.pole_energy(angle, angle_dot)
            pump = -self.energy_gain * deficit * angle_dot * cos
            kx, kv = self.centering_gain
            u = np.array([pump - kx * x - kv * x_dot])
        return np.clip(u, -1.0, 1.0)

"""The pendulum's "real" proxy: heavier, lossier, weaker delayed motor, biased encoder.

What differs from the nominal model (the training side never reads this):

* bob mass x1.25, hinge damping x4, hinge frictionloss x3, motor gear x0.8;
* the motor command arrives 40 ms late (MuJoCo's native actuator delay);
* the encoder reads 0.05 rad off, with 0.01 rad and 0.05 rad/s white noise.
"""

from __future__ import annotations

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.envs.pendulum.env import PendulumSwingupEnv
from simreal.envs.real_plant import delay_actuators, scale_body_mass

ANGLE_BIAS_RAD = 0.05
ANGLE_NOISE_RAD = 0.01
VELOCITY_NOISE_RAD_S = 0.05


class PendulumSwingupRealEnv(PendulumSwingupEnv):
    """Stand-in for a physical pendulum; same interface as the nominal task."""

    def edit_spec(self, spec: mujoco.MjSpec) -> None:
        """Add 40 ms of actuator latency."""
        delay_actuators(spec, 0.04)

    def edit_model(self, model: mujoco.MjModel) -> None:
        """Change mass, losses and motor strength by name."""
        scale_body_mass(model, "pole", 1.25)
        model.joint("hinge").damping[:] *= 4.0
        model.joint("hinge").frictionloss[:] *= 3.0
        model.actuator("torque").gear[0] *= 0.8

    def measure_state(self, state: NDArray[np.float64]) -> NDArray[np.float64]:
        """Encoder offset and noise on the angle, noise on the velocity."""
        angle = np.arctan2(state[1], state[0]) + ANGLE_BIAS_RAD
        angle += self.np_random.normal(0.0, ANGLE_NOISE_RAD)
        velocity = state[2] + self.np_random.normal(0.0, VELOCITY_NOISE_RAD_S)
        return np.array([np.cos(angle), np.sin(angle), velocity])

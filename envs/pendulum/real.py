"""The pendulum's "real" proxy: heavier, lossier, weaker delayed motor, biased encoder.

What differs from the nominal model (the training side never reads this):

* bob mass x1.25, hinge damping x4, hinge frictionloss x3, motor gear x0.8;
* the motor command arrives 40 ms late (MuJoCo's native actuator delay);
* the encoder reads 0.05 rad off, with 0.01 rad and 0.05 rad/s white noise (the
  task's sensor channel: the policy observes, and a log records, these readings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import mujoco

from simreal.envs.pendulum.env import PendulumSwingupEnv
from simreal.envs.real_plant import delay_actuators, scale_body_mass

ANGLE_BIAS_RAD = 0.05
ANGLE_NOISE_RAD = 0.01
VELOCITY_NOISE_RAD_S = 0.05


class PendulumSwingupRealEnv(PendulumSwingupEnv):
    """Stand-in for a physical pendulum; same interface as the nominal task."""

    encoder_offsets: ClassVar[Mapping[str, float]] = {"hinge": ANGLE_BIAS_RAD}
    encoder_noise: ClassVar[Mapping[str, tuple[float, float]]] = {
        "hinge": (ANGLE_NOISE_RAD, VELOCITY_NOISE_RAD_S)
    }

    def edit_spec(self, spec: mujoco.MjSpec) -> None:
        """Add 40 ms of actuator latency."""
        delay_actuators(spec, 0.04)

    def edit_model(self, model: mujoco.MjModel) -> None:
        """Change mass, losses and motor strength by name."""
        scale_body_mass(model, "pole", 1.25)
        model.joint("hinge").damping[:] *= 4.0
        model.joint("hinge").frictionloss[:] *= 3.0
        model.actuator("torque").gear[0] *= 0.8

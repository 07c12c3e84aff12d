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


MOTOR_LIMIT = 0.6  # of the command range's peak force


class PendulumSwingupSaturatedRealEnv(PendulumSwingupRealEnv):
    """The same proxy whose motor driver clips its force at 60% of the commanded peak.

    An effect the task's model (and ``sysid.yaml``) does not have: a plant to measure what
    a fit, and DR centred on it, do when the model cannot follow the robot.
    """

    def edit_model(self, model: mujoco.MjModel) -> None:
        """The proxy's changes, and the driver's force limit."""
        super().edit_model(model)
        actuator = model.actuator("torque")
        peak = abs(actuator.gainprm[0]) * max(abs(float(c)) for c in actuator.ctrlrange)
        actuator.forcerange[:] = (-MOTOR_LIMIT * peak, MOTOR_LIMIT * peak)
        model.actuator_forcelimited[actuator.id] = 1

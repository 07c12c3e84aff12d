"""The cart-pole's "real" proxy: heavier pole, sticky rail, weak delayed motor, noisy sensors.

What differs from the nominal model (the training side never reads this):

* pole mass x1.3, cart mass x1.2, rail damping 0.0005 -> 0.5 N s/m with 0.3 N of
  dry friction (frictionloss), motor gear x0.85;
* the force command arrives 80 ms late (MuJoCo's native actuator delay);
* the plant integrates with RK4 at a 5 ms timestep instead of implicitfast at 10 ms;
* the pole encoder reads 0.06 rad off; 0.005 rad, 2 mm and small velocity white noise
  (the task's sensor channel: the policy observes, and a log records, these readings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import mujoco

from simreal.envs.cartpole.env import CartpoleEnv
from simreal.envs.real_plant import delay_actuators, refine_integration, scale_body_mass

ANGLE_BIAS_RAD = 0.06
# White noise std per joint: (position, velocity), in m and m/s or rad and rad/s.
NOISE_STD = {"slider": (0.002, 0.02), "hinge": (0.005, 0.05)}
TIMESTEP_DIVISOR = 2


class CartpoleRealEnv(CartpoleEnv):
    """Stand-in for a physical cart-pole; same interface as the nominal task."""

    encoder_offsets: ClassVar[Mapping[str, float]] = {"hinge": ANGLE_BIAS_RAD}
    encoder_noise: ClassVar[Mapping[str, tuple[float, float]]] = NOISE_STD

    def __init__(self, swingup: bool = False, frame_skip: int = 2, **kwargs: object) -> None:
        super().__init__(swingup, frame_skip * TIMESTEP_DIVISOR, **kwargs)

    def edit_spec(self, spec: mujoco.MjSpec) -> None:
        """80 ms actuator latency; RK4 at half the timestep."""
        refine_integration(spec, TIMESTEP_DIVISOR, mujoco.mjtIntegrator.mjINT_RK4)
        delay_actuators(spec, 0.08)

    def edit_model(self, model: mujoco.MjModel) -> None:
        """Change masses, rail friction and motor strength by name."""
        scale_body_mass(model, "pole", 1.3)
        scale_body_mass(model, "cart", 1.2)
        model.joint("slider").damping[:] = 0.5
        model.joint("slider").frictionloss[:] = 0.3
        model.actuator("slide").gear[0] *= 0.85

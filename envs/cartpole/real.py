"""The cart-pole's "real" proxy: heavier pole, sticky rail, weak delayed motor, noisy sensors.

What differs from the nominal model (the training side never reads this):

* pole mass x1.3, cart mass x1.2, rail damping 0.0005 -> 0.5 N s/m with 0.3 N of
  dry friction (frictionloss), motor gear x0.85;
* the force command arrives 80 ms late (MuJoCo's native actuator delay);
* the plant integrates with RK4 at a 5 ms timestep instead of implicitfast at 10 ms;
* the pole encoder reads 0.06 rad off; 0.005 rad, 2 mm and small velocity white noise.
"""

from __future__ import annotations

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.envs.cartpole.env import CartpoleEnv
from simreal.envs.real_plant import delay_actuators, refine_integration, scale_body_mass

ANGLE_BIAS_RAD = 0.06
# White noise std of x [m], angle [rad], x_dot [m/s], angle_dot [rad/s].
NOISE_STD = np.array([0.002, 0.005, 0.02, 0.05])
TIMESTEP_DIVISOR = 2


class CartpoleRealEnv(CartpoleEnv):
    """Stand-in for a physical cart-pole; same interface as the nominal task."""

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

    def measure_state(self, state: NDArray[np.float64]) -> NDArray[np.float64]:
        """Encoder offset on the angle, white noise on every channel."""
        x, cos, sin, x_dot, angle_dot = state
        noise = self.np_random.normal(0.0, NOISE_STD)
        angle = np.arctan2(sin, cos) + ANGLE_BIAS_RAD + noise[1]
        return np.array(
            [x + noise[0], np.cos(angle), np.sin(angle), x_dot + noise[2], angle_dot + noise[3]]
        )

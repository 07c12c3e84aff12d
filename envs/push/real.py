"""The Push task's "real" proxy: heavier, grippier block, softer delayed servos, biased tracker.

What differs from the nominal model (the training side never reads this):

* block mass and rotational inertia x1.6 (0.32 kg);
* sliding friction of the ``block`` and ``table`` geoms x1.5 (block/table 0.75);
* pusher servos ``pusher_x`` and ``pusher_y``: stiffness kp x0.6 (120 N/m),
  kv and the joints' damping unchanged;
* the pusher commands arrive 70 ms late (MuJoCo's native actuator delay);
* the block is tracked by a camera: its reported position is off by a fixed
  calibration bias of (12, -9) mm (15 mm in all) plus 4 mm white noise per
  axis, its yaw has 0.03 rad and its velocity 0.03 m/s of white noise (the
  ``goal - block`` entries use the reported position). Pusher and goal are
  reported exactly.
"""

from __future__ import annotations

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.envs.push.env import PUSHER_ACTUATORS, PushEnv
from simreal.envs.real_plant import delay_actuators, scale_body_mass

BLOCK_MASS_FACTOR = 1.6
FRICTION_FACTOR = 1.5
SERVO_KP_FACTOR = 0.6
ACTUATOR_DELAY_S = 0.07
BLOCK_POSITION_BIAS_M = np.array([0.012, -0.009])
BLOCK_POSITION_NOISE_M = 0.004
BLOCK_YAW_NOISE_RAD = 0.03
BLOCK_VELOCITY_NOISE_M_S = 0.03


class PushRealEnv(PushEnv):
    """Stand-in for a physical pushing setup; same interface as the nominal task."""

    def edit_spec(self, spec: mujoco.MjSpec) -> None:
        """Add the pusher servos' command latency."""
        delay_actuators(spec, ACTUATOR_DELAY_S)

    def edit_model(self, model: mujoco.MjModel) -> None:
        """Change block mass, block/table friction and servo stiffness by name."""
        scale_body_mass(model, "block", BLOCK_MASS_FACTOR)
        for geom in ("block", "table"):
            model.geom(geom).friction[0] *= FRICTION_FACTOR
        for name in PUSHER_ACTUATORS:
            actuator = model.actuator(name)
            # A position servo's force is gainprm[0] * ctrl + biasprm[1] * q
            # + biasprm[2] * qdot with gainprm[0] = kp, biasprm[1] = -kp, biasprm[2] = -kv.
            actuator.gainprm[0] *= SERVO_KP_FACTOR
            actuator.biasprm[1] *= SERVO_KP_FACTOR

    def measure_state(self, state: NDArray[np.float64]) -> NDArray[np.float64]:
        """Bias and noise on the block's tracked pose and velocity."""
        measured = state.copy()
        rng = self.np_random
        measured[4:6] += BLOCK_POSITION_BIAS_M + rng.normal(0.0, BLOCK_POSITION_NOISE_M, size=2)
        yaw = np.arctan2(state[7], state[6]) + rng.normal(0.0, BLOCK_YAW_NOISE_RAD)
        measured[6:8] = [np.cos(yaw), np.sin(yaw)]
        measured[8:10] += rng.normal(0.0, BLOCK_VELOCITY_NOISE_M_S, size=2)
        measured[12:14] = measured[10:12] - measured[4:6]
        return measured

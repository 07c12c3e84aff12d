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

Its camera (``PushPixelsReal-v0``'s observation; :data:`CAMERA_GAP`) sees a grey-green
gradient table top that no DR choice contains, a darker block and pusher, the key light
moved and warm, the fill light cool, the camera 4.4 cm and 2.5 degrees off with a 5%
narrower field of view, then blur, read noise and JPEG compression.
"""

from __future__ import annotations

from typing import ClassVar

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.envs.camera_gap import CameraGap, ProceduralTexture
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
CAMERA_GAP = CameraGap(
    texture=ProceduralTexture(
        "table_mat", "table_proxy", "gradient", rgb1=(0.55, 0.6, 0.52), rgb2=(0.35, 0.4, 0.36)
    ),
    scene={
        "material[block_mat].rgba": ("set", (0.62, 0.1, 0.12, 1.0)),
        "material[pusher_mat].rgba": ("set", (0.1, 0.22, 0.6, 1.0)),
        "light[key_light].pos": ("add", (0.45, 0.3, -0.25)),
        "light[key_light].diffuse": ("set", (0.85, 0.72, 0.55)),
        "light[fill_light].diffuse": ("set", (0.2, 0.26, 0.38)),
        "camera[overhead].pos": ("add", (-0.03, 0.025, -0.02)),
        "camera[overhead].rotation": ("add", (-0.025, 0.02, 0.03)),
        "camera[overhead].fovy": ("scale", (0.95,)),
    },
    blur_px=0.6,
    noise=0.02,
    jpeg_quality=70,
)


class PushRealEnv(PushEnv):
    """Stand-in for a physical pushing setup; same interface as the nominal task."""

    camera_gap: ClassVar[CameraGap | None] = CAMERA_GAP

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

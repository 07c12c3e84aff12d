"""The Reach task's "real" proxy: heavier links, softer servos, encoder offsets, latency.

What differs from the nominal model (the training side never reads this):

* upper arm and forearm mass x1.4; servo gains kp x0.6 and kv x0.8; joint
  dry friction (frictionloss) 0.05 N m;
* the servo commands arrive 60 ms late (MuJoCo's native actuator delay);
* the joint encoders are miscalibrated (offsets of +0.03, -0.04, +0.05 rad),
  and the servos close their loops on those encoders; 2 mrad white noise (the
  task's sensor channel: the policy observes, and a log records, these readings).
  The reported fingertip position is the forward kinematics of the measured
  angles, as on a real arm; the target position carries 3 mm of white noise.

Its camera (``ReachPixelsReal-v0``'s observation; :data:`CAMERA_GAP`) sees a blue
checked table cloth that no DR choice contains, a blue-grey anodised arm, an orange-red
target, the key light moved and warm, the fill light cool, the camera 3.9 cm and
2.5 degrees off with a 6% wider field of view, then blur, read noise and JPEG
compression.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.envs.camera_gap import CameraGap, ProceduralTexture
from simreal.envs.reach.env import JOINTS, ReachEnv
from simreal.envs.real_plant import delay_actuators, scale_body_mass

ENCODER_OFFSET_RAD = np.array([0.03, -0.04, 0.05])
ENCODER_NOISE_RAD = 0.002
TARGET_NOISE_M = 0.003
CAMERA_GAP = CameraGap(
    texture=ProceduralTexture(
        "table_mat", "table_proxy", "checker", rgb1=(0.32, 0.42, 0.58), rgb2=(0.5, 0.58, 0.7)
    ),
    scene={
        "material[arm_mat].rgba": ("set", (0.45, 0.5, 0.62, 1.0)),
        "material[target_mat].rgba": ("set", (0.95, 0.35, 0.12, 1.0)),
        "light[key_light].pos": ("add", (-0.3, 0.25, 0.1)),
        "light[key_light].diffuse": ("set", (1.0, 0.85, 0.65)),
        "light[fill_light].diffuse": ("set", (0.22, 0.28, 0.4)),
        "camera[front].pos": ("add", (0.03, -0.02, 0.015)),
        "camera[front].rotation": ("add", (0.02, -0.025, 0.03)),
        "camera[front].fovy": ("scale", (1.06,)),
    },
    blur_px=0.6,
    noise=0.02,
    jpeg_quality=70,
)


class ReachRealEnv(ReachEnv):
    """Stand-in for a physical arm; same interface as the nominal task."""

    encoder_offsets: ClassVar[Mapping[str, float]] = dict(
        zip(JOINTS, ENCODER_OFFSET_RAD.tolist(), strict=True)
    )
    encoder_noise: ClassVar[Mapping[str, tuple[float, float]]] = {
        name: (ENCODER_NOISE_RAD, 0.0) for name in JOINTS
    }
    camera_gap: ClassVar[CameraGap | None] = CAMERA_GAP

    def edit_spec(self, spec: mujoco.MjSpec) -> None:
        """60 ms of actuator latency."""
        delay_actuators(spec, 0.06)

    def edit_model(self, model: mujoco.MjModel) -> None:
        """Heavier links, softer servos that use the offset encoders, joint friction."""
        scale_body_mass(model, "upper_arm", 1.4)
        scale_body_mass(model, "forearm", 1.4)
        for name, offset in zip(JOINTS, ENCODER_OFFSET_RAD, strict=True):
            actuator = model.actuator(name)
            kp, kv = 0.6 * actuator.gainprm[0], -0.8 * actuator.biasprm[2]
            actuator.gainprm[0] = kp
            # force = kp * (ctrl - (q + offset)) - kv * qdot: the servo sees the encoder.
            actuator.biasprm[:3] = [-kp * offset, -kp, -kv]
            model.joint(name).frictionloss[:] = 0.05

    def measure_state(self, state: NDArray[np.float64]) -> NDArray[np.float64]:
        """Noise on the detected target; the joint entries come from the encoders."""
        measured = state.copy()
        measured[9:12] += self.np_random.normal(0.0, TARGET_NOISE_M, size=3)
        measured[12:15] = measured[9:12] - measured[6:9]
        return measured

"""Parameters whose write is more than one array entry.

Masses (with their inertia), servo gains, force limits, light directions, camera
orientations and texture choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.parameters.bound_param import ArrayParam, BoundParam, LinearTarget


@dataclass
class BodyMassParam(ArrayParam):
    """Body mass; the rotational inertia is scaled by the same factor."""

    nominal_inertia: NDArray[np.float64] | None = None

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """The mass, and the inertia proportional to it."""
        row = self.rows[0]
        per_kg = self.nominal_inertia / self.nominal[0] if self.nominal[0] > 0 else np.zeros(3)
        return [
            LinearTarget("body_mass", np.array([row]), np.ones(1), np.zeros(1, np.intp)),
            LinearTarget("body_inertia", 3 * row + np.arange(3), per_kg, np.zeros(3, np.intp)),
        ]

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        super().write_clipped(model, value)
        ratio = value[0] / self.nominal[0] if self.nominal[0] > 0 else 1.0
        model.body_inertia[self.rows[0]] = self.nominal_inertia * ratio


@dataclass
class ActuatorKpParam(ArrayParam):
    """Servo stiffness: ``gainprm[0]``, and ``biasprm[1] = -kp`` on position servos."""

    servo: bool = False

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """``gainprm[0] = kp`` and, on a position servo, ``biasprm[1] = -kp``."""
        width = model.actuator_gainprm.shape[1]
        base = self.rows[0] * width
        one = np.zeros(1, np.intp)
        targets = [LinearTarget("actuator_gainprm", np.array([base]), np.ones(1), one)]
        if self.servo:
            targets.append(LinearTarget("actuator_biasprm", np.array([base + 1]), -np.ones(1), one))
        return targets

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        model.actuator_gainprm[self.rows[0], 0] = value[0]
        if self.servo:
            model.actuator_biasprm[self.rows[0], 1] = -value[0]


@dataclass
class ActuatorKvParam(ArrayParam):
    """Servo damping: ``biasprm[2] = -kv``."""

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """``biasprm[2] = -kv``."""
        index = np.array([self.rows[0] * model.actuator_biasprm.shape[1] + 2])
        return [LinearTarget("actuator_biasprm", index, -np.ones(1), np.zeros(1, np.intp))]

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current kv."""
        return np.array([-model.actuator_biasprm[self.rows[0], 2]])

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        model.actuator_biasprm[self.rows[0], 2] = -value[0]


@dataclass
class ActuatorForceLimitParam(ArrayParam):
    """A symmetric actuator force limit: ``forcerange = [-limit, limit]``, limiting on.

    Saturation the model lacks (a motor driver that clips its current, a servo's torque
    limit) is the usual model mismatch; for a motor with a fixed gain, clipping the
    command at a fraction of its range is the same as this limit. An actuator without
    a limit reads as the largest force its command range can ask for (a motor's
    ``|gain| * max |ctrlrange|``, the actuator force before the gear; a servo's
    ``kp`` times the range's span), so the nominal never binds.
    """

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current limit (or the force the command range reaches, unlimited)."""
        row = self.rows[0]
        if model.actuator_forcelimited[row]:
            return np.array([float(np.max(np.abs(model.actuator_forcerange[row])))])
        gain, ctrl = abs(model.actuator_gainprm[row, 0]), model.actuator_ctrlrange[row]
        if model.actuator_biastype[row] == mujoco.mjtBias.mjBIAS_AFFINE:
            # A servo's force is kp (ctrl - q): at most kp times the command range's span.
            return np.array([float(gain * (ctrl[1] - ctrl[0]))])
        return np.array([float(gain * np.max(np.abs(ctrl)))])

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """Not linear: writing the limit also turns limiting on."""
        return None

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        model.actuator_forcerange[self.rows[0]] = (-value[0], value[0])
        model.actuator_forcelimited[self.rows[0]] = 1


@dataclass
class LightDirParam(ArrayParam):
    """Light direction, renormalised after writing."""

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """Not linear: the direction is renormalised."""
        return None

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        norm = np.linalg.norm(value)
        super().write_clipped(model, value / norm if norm > 1e-9 else self.nominal)


@dataclass
class CameraRotationParam(BoundParam):
    """Camera orientation as a rotation vector (rad) applied to the nominal orientation."""

    camera: int = 0
    nominal_quat: NDArray[np.float64] | None = None

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the rotation vector from the nominal orientation."""
        relative = np.zeros(4)
        inverse = np.zeros(4)
        mujoco.mju_negQuat(inverse, self.nominal_quat)
        mujoco.mju_mulQuat(relative, inverse, model.cam_quat[self.camera])
        rotvec = np.zeros(3)
        mujoco.mju_quat2Vel(rotvec, relative, 1.0)
        return rotvec

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        delta = np.zeros(4)
        angle = float(np.linalg.norm(value))
        axis = value / angle if angle > 1e-12 else np.array([1.0, 0.0, 0.0])
        mujoco.mju_axisAngle2Quat(delta, axis, angle)
        quat = np.zeros(4)
        mujoco.mju_mulQuat(quat, self.nominal_quat, delta)
        model.cam_quat[self.camera] = quat


@dataclass
class TextureChoiceParam(BoundParam):
    """A material's RGB texture, chosen among the model's 2-D textures by index."""

    material: int = 0
    texture_ids: tuple[int, ...] = ()

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the index (into ``choices``) of the current texture."""
        current = model.mat_texid[self.material, mujoco.mjtTextureRole.mjTEXROLE_RGB]
        return np.array([float(self.texture_ids.index(current))])

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        index = int(np.clip(np.rint(value[0]), 0, len(self.texture_ids) - 1))
        model.mat_texid[self.material, mujoco.mjtTextureRole.mjTEXROLE_RGB] = self.texture_ids[
            index
        ]

"""The joint-sensor channel of simreal's tasks: what the robot's encoders report.

A task reads its 1-DoF joints once per observation through
:meth:`JointSensors.measure_joints`: per joint ``gain * q + offset`` and
``gain * qdot`` of the joint state some control steps ago, plus white noise. A
"real" proxy sets its encoders' calibration offsets, noise and delay as class
attributes; domain randomization sets a simulated sensor model on top
(``bias.qpos[<joint>]``, ``gain.qpos[<joint>]``, see
:mod:`simreal.wrappers.joint_sensors`). The task's observation is computed from
the reading, and a log recorded on the task holds the same reading.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import mujoco
import numpy as np
from numpy.typing import NDArray

_ONE_DOF = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))


@dataclass(frozen=True)
class JointReading:
    """What the joint encoders report at one instant.

    Attributes:
        qpos: ``{joint name: measured position}`` of every 1-DoF joint (rad or m).
        qvel: ``{joint name: measured velocity}`` (rad/s or m/s).
    """

    qpos: dict[str, float]
    qvel: dict[str, float]


class JointSensors:
    """Mixin of a MuJoCo task (``model``, ``data``, ``np_random``, ``state_obs``): its encoders.

    Class attributes a "real" proxy sets (nominal tasks: exact encoders):
    ``encoder_offsets`` ``{joint: offset added to the position}``, ``encoder_noise``
    ``{joint: (position std, velocity std)}``, ``sensor_delay_steps`` (control steps).
    """

    encoder_offsets: ClassVar[Mapping[str, float]] = {}
    encoder_noise: ClassVar[Mapping[str, tuple[float, float]]] = {}
    sensor_delay_steps: ClassVar[int] = 0

    def init_sensors(self) -> None:
        """Index the model's 1-DoF joints (call once the model is compiled)."""
        model = self.model
        # A simulated sensor model on top of the encoders, set by domain randomization
        # (simreal.wrappers.joint_sensors): {joint: offset}, {joint: gain}.
        self.sensor_bias: dict[str, float] = {}
        self.sensor_gain: dict[str, float] = {}
        self.sensor_joints = [
            name
            for name in (model.joint(j).name for j in range(model.njnt))
            if name and int(model.jnt_type[model.joint(name).id]) in _ONE_DOF
        ]
        self._qpos_adr = np.array([model.joint(n).qposadr[0] for n in self.sensor_joints], int)
        self._dof_adr = np.array([model.joint(n).dofadr[0] for n in self.sensor_joints], int)
        self._sensor_history: deque[tuple[NDArray, NDArray]] = deque(
            maxlen=self.sensor_delay_steps + 1
        )
        self._reading: JointReading | None = None
        self._measured_data = mujoco.MjData(model)

    def restart_sensors(self) -> None:
        """Start an episode: a delayed sensor reports the initial state until its delay passes."""
        self._sensor_history.clear()
        for _ in range(self.sensor_delay_steps):
            self._sensor_history.append(self._true_joints())

    def _true_joints(self) -> tuple[NDArray, NDArray]:
        return self.data.qpos[self._qpos_adr].copy(), self.data.qvel[self._dof_adr].copy()

    def exact_sensors(self) -> bool:
        """Whether the encoders report the simulator's joint state exactly."""
        return not (
            self.sensor_delay_steps
            or self.encoder_offsets
            or self.encoder_noise
            or self.sensor_bias
            or self.sensor_gain
        )

    def measure_joints(self) -> JointReading:
        """Take one reading of the joint encoders (called once per observation).

        The reading is, per 1-DoF joint, ``gain * q + offset`` and ``gain * qdot``
        of the joint state ``sensor_delay_steps`` control steps ago, plus white
        noise: the proxy's calibration offsets and noise, and the simulated
        sensor model that domain randomization sets (``bias.qpos[<joint>]``,
        ``gain.qpos[<joint>]``). Each call advances the delay line by one sample.

        Returns:
            The reading.
        """
        self._sensor_history.append(self._true_joints())
        q, v = (a.copy() for a in self._sensor_history[0])
        for i, name in enumerate(self.sensor_joints):
            gain = self.sensor_gain.get(name, 1.0)
            offset = self.encoder_offsets.get(name, 0.0) + self.sensor_bias.get(name, 0.0)
            q[i], v[i] = gain * q[i] + offset, gain * v[i]
            std = self.encoder_noise.get(name)
            if std is not None:
                q[i] += self.np_random.normal(0.0, std[0])
                v[i] += self.np_random.normal(0.0, std[1])
        names = self.sensor_joints
        return JointReading(dict(zip(names, q.tolist(), strict=True)),
                            dict(zip(names, v.tolist(), strict=True)))  # fmt: skip

    @property
    def joint_reading(self) -> JointReading:
        """The encoder reading behind the latest observation (what a log records)."""
        if self._reading is None:
            q, v = self.data.qpos[self._qpos_adr], self.data.qvel[self._dof_adr]
            names = self.sensor_joints
            return JointReading(dict(zip(names, q.tolist(), strict=True)),
                                dict(zip(names, v.tolist(), strict=True)))  # fmt: skip
        return self._reading

    def state_from_reading(self, reading: JointReading) -> NDArray[np.float64]:
        """The task's state observation with its joints where the encoders say they are.

        :meth:`state_obs` is evaluated on a copy of the simulation whose 1-DoF
        joints hold the reading (kinematics recomputed), so every derived entry (a
        fingertip's position, an angle's cosine) follows the measured joints, as on
        a robot whose software computes them from its encoders.
        """
        measured = self._measured_data
        mujoco.mj_copyData(measured, self.model, self.data)
        measured.qpos[self._qpos_adr] = [reading.qpos[n] for n in self.sensor_joints]
        measured.qvel[self._dof_adr] = [reading.qvel[n] for n in self.sensor_joints]
        mujoco.mj_kinematics(self.model, measured)
        mujoco.mj_comPos(self.model, measured)
        mujoco.mj_comVel(self.model, measured)
        simulated, self.data = self.data, measured
        try:
            return self.state_obs()
        finally:
            self.data = simulated

    def observe_state(self) -> NDArray[np.float64]:
        """The state observation through the sensors: one new reading, or the truth if exact."""
        if self.exact_sensors():
            self._reading = None
            return self.state_obs()
        self._reading = self.measure_joints()
        return self.state_from_reading(self._reading)

"""Shared base class of simreal's MuJoCo tasks.

Every task is a Gymnasium ``MujocoEnv`` that

* loads its MJCF through :class:`mujoco.MjSpec`, so that a subclass (a "real"
  proxy) can edit the model by element name before it is compiled;
* reads every model quantity by name (``model.joint("hinge")``), never by index;
* returns its reward terms, its privileged state vector and ``is_success`` in ``info``;
* offers state observations or image observations from a named camera;
* reports its 1-DoF joints through one sensor channel, :meth:`MujocoTaskEnv.measure_joints`
  (the encoders: calibration offset, gain, white noise, delay), from which the state
  observation is computed, so that a policy and a log recorded on the env see the same sensor.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import mujoco
import numpy as np
from gymnasium import spaces
from gymnasium.envs.mujoco.mujoco_env import MujocoEnv
from numpy.typing import NDArray

from simreal.asset_paths import asset_path

OBS_TYPES = ("state", "pixels")
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


def check_positive_int(name: str, value: Any) -> int:  # noqa: ANN401
    """Validate a constructor argument that must be an integer >= 1.

    Args:
        name: Argument name, used in the error message.
        value: The value given.

    Returns:
        The value as ``int``.

    Raises:
        ValueError: If the value is not an integer >= 1.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    return int(value)


class MujocoTaskEnv(MujocoEnv, ABC):
    """Base class: model loading, observation types, info conventions.

    Subclasses set ``xml_file``, ``camera_name`` and implement :meth:`state_obs`,
    :meth:`reward_terms`, :meth:`is_success`, :meth:`reset_model` and optionally
    :meth:`is_terminated`.

    Args:
        frame_skip: Physics steps per control step (>= 1).
        obs_type: ``"state"`` for a vector observation, ``"pixels"`` for an RGB image
            from the task's camera.
        image_size: Side length in pixels of the square image observation (>= 1).
        render_mode: ``None`` or ``"rgb_array"``.
        width: Width of frames returned by :meth:`render`.
        height: Height of frames returned by :meth:`render`.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "depth_array"]}
    xml_file: ClassVar[str] = ""
    camera_name: ClassVar[str] = ""
    state_dim: ClassVar[int] = 0
    # The robot's encoders (nominal tasks: exact). A "real" proxy sets its calibration
    # offsets {joint: offset added to the position}, white noise {joint: (position std,
    # velocity std)} and a delay in control steps.
    encoder_offsets: ClassVar[Mapping[str, float]] = {}
    encoder_noise: ClassVar[Mapping[str, tuple[float, float]]] = {}
    sensor_delay_steps: ClassVar[int] = 0

    def __init__(
        self,
        frame_skip: int,
        obs_type: str = "state",
        image_size: int = 84,
        render_mode: str | None = None,
        width: int = 480,
        height: int = 480,
    ) -> None:
        frame_skip = check_positive_int("frame_skip", frame_skip)
        image_size = check_positive_int("image_size", image_size)
        width = check_positive_int("width", width)
        height = check_positive_int("height", height)
        if obs_type not in OBS_TYPES:
            raise ValueError(f"obs_type must be one of {OBS_TYPES}, got {obs_type!r}.")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, "
                f"got {render_mode!r}."
            )
        self.obs_type = obs_type
        self.image_size = image_size
        self._image_renderer: mujoco.Renderer | None = None
        self.metadata = {**type(self).metadata}
        state_space = spaces.Box(-np.inf, np.inf, shape=(self.state_dim,), dtype=np.float64)
        if obs_type == "pixels":
            observation_space: spaces.Space = spaces.Box(
                0, 255, shape=(image_size, image_size, 3), dtype=np.uint8
            )
        else:
            observation_space = state_space
        super().__init__(
            str(asset_path(self.xml_file)),
            frame_skip,
            observation_space=observation_space,
            render_mode=render_mode,
            width=width,
            height=height,
            camera_name=self.camera_name,
        )
        self.metadata["render_fps"] = int(np.round(1.0 / self.dt))
        self.state_space = state_space
        # A simulated sensor model on top of the encoders, set by domain randomization
        # (simreal.wrappers.joint_sensors): {joint: offset}, {joint: gain}.
        self.sensor_bias: dict[str, float] = {}
        self.sensor_gain: dict[str, float] = {}
        self.sensor_joints = [
            name
            for name in (self.model.joint(j).name for j in range(self.model.njnt))
            if name and int(self.model.jnt_type[self.model.joint(name).id]) in _ONE_DOF
        ]
        self._qpos_adr = np.array([self.model.joint(n).qposadr[0] for n in self.sensor_joints])
        self._dof_adr = np.array([self.model.joint(n).dofadr[0] for n in self.sensor_joints])
        self._sensor_history: deque[tuple[NDArray, NDArray]] = deque(
            maxlen=self.sensor_delay_steps + 1
        )
        self._reading: JointReading | None = None
        self._measured_data = mujoco.MjData(self.model)

    # -- model construction -------------------------------------------------
    def _initialize_simulation(self) -> tuple[mujoco.MjModel, mujoco.MjData]:
        spec = mujoco.MjSpec.from_file(self.fullpath)
        self.edit_spec(spec)
        model = spec.compile()
        size = max(self.width, self.height, getattr(self, "image_size", 0))
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, size)
        model.vis.global_.offheight = max(model.vis.global_.offheight, size)
        data = mujoco.MjData(model)
        self.edit_model(model)
        mujoco.mj_setConst(model, data)
        mujoco.mj_forward(model, data)
        return model, data

    def edit_spec(self, spec: mujoco.MjSpec) -> None:
        """Edit the model description before it is compiled (structural changes).

        The nominal tasks change nothing; "real" proxies override this.

        Args:
            spec: The parsed MJCF.
        """

    def edit_model(self, model: mujoco.MjModel) -> None:
        """Edit numeric model fields after compilation (masses, gains, frictions).

        The nominal tasks change nothing; "real" proxies override this.

        Args:
            model: The compiled model; derived constants are recomputed afterwards.
        """

    # -- hooks for subclasses ---------------------------------------------
    @abstractmethod
    def state_obs(self) -> NDArray[np.float64]:
        """Return the state observation vector (see the task's table)."""

    @abstractmethod
    def reward_terms(self, action: NDArray[np.float64]) -> dict[str, float]:
        """Return the named reward terms; the reward is their sum."""

    @abstractmethod
    def is_success(self) -> bool:
        """Return whether the task is currently solved."""

    def is_terminated(self) -> bool:
        """Return whether the episode ends in a terminal state (default: never)."""
        return False

    def begin_episode(self) -> None:
        """Draw per-episode quantities (called at reset, before the initial state).

        Nominal tasks draw nothing; "real" proxies draw their sensor biases here.
        """

    def measure_state(self, state: NDArray[np.float64]) -> NDArray[np.float64]:
        """Apply the sensors that are not joint encoders (trackers, target detectors).

        The joint entries of ``state`` already come from :meth:`measure_joints`;
        nominal tasks add nothing, "real" proxies add their trackers' noise and bias.

        Args:
            state: The state observation computed from the measured joints.

        Returns:
            The measured state observation.
        """
        return state

    # -- the sensor channel ---------------------------------------------------
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
        truth = (self.data.qpos[self._qpos_adr].copy(), self.data.qvel[self._dof_adr].copy())
        self._sensor_history.append(truth)
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

    # -- Gymnasium API ------------------------------------------------------
    def _observe(self) -> tuple[NDArray, NDArray[np.float64]]:
        if self.exact_sensors():
            self._reading = None
            state = self.measure_state(self.state_obs())
        else:
            self._reading = self.measure_joints()
            state = self.measure_state(self.state_from_reading(self._reading))
        if self.obs_type == "pixels":
            return self.render_camera(self.image_size, self.image_size), state
        return state, state

    def render_camera(self, width: int, height: int) -> NDArray[np.uint8]:
        """Render an RGB image from the task's named camera.

        Args:
            width: Image width in pixels.
            height: Image height in pixels.

        Returns:
            An array of shape ``(height, width, 3)`` and dtype ``uint8``.
        """
        if self._image_renderer is None or (
            self._image_renderer.width,
            self._image_renderer.height,
        ) != (width, height):
            if self._image_renderer is not None:
                self._image_renderer.close()
            self._image_renderer = mujoco.Renderer(self.model, height=height, width=width)
        self._image_renderer.update_scene(self.data, camera=self.camera_name)
        return self._image_renderer.render().copy()

    def step(self, action: NDArray) -> tuple[NDArray, float, bool, bool, dict[str, Any]]:
        """Apply one control action for ``frame_skip`` physics steps."""
        action = np.asarray(action, dtype=np.float64)
        self.do_simulation(action, self.frame_skip)
        terms = self.reward_terms(action)
        obs, state = self._observe()
        info: dict[str, Any] = {f"reward_{k}": v for k, v in terms.items()}
        info["state"] = state
        info["is_success"] = bool(self.is_success())
        if self.render_mode == "human":  # pragma: no cover - no display in CI
            self.render()
        return obs, float(sum(terms.values())), bool(self.is_terminated()), False, info

    def _get_reset_info(self) -> dict[str, Any]:
        return {"state": self._last_reset_state, "is_success": bool(self.is_success())}

    def reset_model(self) -> NDArray:
        """Sample the initial state (subclasses implement :meth:`sample_initial_state`)."""
        self.begin_episode()
        self.sample_initial_state()
        mujoco.mj_forward(self.model, self.data)
        self._sensor_history.clear()
        for _ in range(self.sensor_delay_steps):  # a delayed sensor starts on the initial state
            self._sensor_history.append(
                (self.data.qpos[self._qpos_adr].copy(), self.data.qvel[self._dof_adr].copy())
            )
        obs, self._last_reset_state = self._observe()
        return obs

    @abstractmethod
    def sample_initial_state(self) -> None:
        """Write a random initial state into ``self.data`` using ``self.np_random``."""

    def hold_actuator(self, name: str, command: float) -> None:
        """Start an episode with actuator ``name`` commanded to ``command``.

        Sets the control and, for actuators with a native delay, fills their
        command history, so that a delayed servo holds its start pose instead
        of lurching towards a zero command.

        Args:
            name: Actuator name.
            command: The control value.
        """
        actuator = self.model.actuator(name)
        self.data.ctrl[actuator.id] = command
        nsample = int(self.model.actuator_history[actuator.id, 0])
        if nsample > 0:
            history = np.full((nsample, 1), command)
            mujoco.mj_initCtrlHistory(self.model, self.data, actuator.id, None, history)

    def close(self) -> None:
        """Release rendering contexts."""
        if self._image_renderer is not None:
            self._image_renderer.close()
            self._image_renderer = None
        super().close()

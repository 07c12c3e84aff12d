"""Shared base class of simreal's MuJoCo tasks.

Every task is a Gymnasium ``MujocoEnv`` that

* loads its MJCF through :class:`mujoco.MjSpec`, so that a subclass (a "real"
  proxy) can edit the model by element name before it is compiled;
* reads every model quantity by name (``model.joint("hinge")``), never by index;
* returns its reward terms, its privileged state vector and ``is_success`` in ``info``;
* offers state observations or image observations from a named camera (a real proxy's
  camera with its visual gap, :mod:`simreal.envs.camera_gap`);
* reports its 1-DoF joints through one sensor channel (:mod:`simreal.envs.joint_sensors`:
  the encoders' calibration offset, gain, white noise and delay), from which the state
  observation is computed, so that a policy and a log recorded on the env see the same sensor.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import mujoco
import numpy as np
from gymnasium import spaces
from gymnasium.envs.mujoco.mujoco_env import MujocoEnv
from numpy.typing import NDArray

from simreal.asset_paths import asset_path
from simreal.envs.camera_gap import CameraGap
from simreal.envs.joint_sensors import JointSensors
from simreal.envs.task_arrays import TaskArrays, state_of

OBS_TYPES = ("state", "pixels", "pixels_proprio")
PIXELS, PROPRIO = "pixels", "proprio"  # the keys of a pixels_proprio observation


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


class MujocoTaskEnv(JointSensors, MujocoEnv, ABC):
    """Base class: model loading, observation types, info conventions.

    Subclasses set ``xml_file``, ``camera_name`` and ``arrays`` (the task's
    :class:`~simreal.envs.task_arrays.TaskArrays`: observation, reward terms, success and
    termination over ``(N, ...)`` arrays, which this env calls with N = 1 and the batched
    vector env with N simulations) and implement :meth:`sample_initial_state`.

    Args:
        frame_skip: Physics steps per control step (>= 1).
        obs_type: ``"state"`` for a vector observation, ``"pixels"`` for an RGB image
            from the task's camera, ``"pixels_proprio"`` for a dict of that image
            (``"pixels"``) and proprioception (``"proprio"``: the joint encoders' positions,
            then velocities, of the task's 1-DoF joints, as the sensor channel reports them).
        image_size: Side length in pixels of the square image observation (>= 1).
        render_mode: ``None`` or ``"rgb_array"``.
        width: Width of frames returned by :meth:`render`.
        height: Height of frames returned by :meth:`render`.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "depth_array"]}
    xml_file: ClassVar[str] = ""
    camera_name: ClassVar[str] = ""
    state_dim: ClassVar[int] = 0
    arrays: ClassVar[type[TaskArrays]]
    # How the camera's images differ from the nominal render (real proxies set it).
    camera_gap: ClassVar[CameraGap | None] = None

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
        self._camera_rng: tuple[np.random.Generator, np.random.Generator] | None = None
        self.metadata = {**type(self).metadata}
        state_space = spaces.Box(-np.inf, np.inf, shape=(self.state_dim,), dtype=np.float64)
        image_space = spaces.Box(0, 255, shape=(image_size, image_size, 3), dtype=np.uint8)
        observation_space = state_space if obs_type == "state" else image_space
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
        self.task_arrays = self.arrays(self)
        self._task_views: dict[int, tuple[mujoco.MjData, dict[str, NDArray]]] = {}
        self.init_sensors()
        if obs_type == "pixels_proprio":  # the joints are known once the model is compiled
            joints = 2 * len(self.sensor_joints)
            self.observation_space = spaces.Dict(
                {
                    PIXELS: image_space,
                    PROPRIO: spaces.Box(-np.inf, np.inf, shape=(joints,), dtype=np.float64),
                }
            )

    # -- model construction -------------------------------------------------
    def _initialize_simulation(self) -> tuple[mujoco.MjModel, mujoco.MjData]:
        spec = mujoco.MjSpec.from_file(self.fullpath)
        self.edit_spec(spec)
        if self.camera_gap is not None:
            self.camera_gap.edit_spec(spec)
        model = spec.compile()
        size = max(self.width, self.height, getattr(self, "image_size", 0))
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, size)
        model.vis.global_.offheight = max(model.vis.global_.offheight, size)
        data = mujoco.MjData(model)
        self.edit_model(model)
        if self.camera_gap is not None:
            self.camera_gap.edit_model(model)
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

    # -- the task, written once over arrays (see simreal.envs.task_arrays) ----
    def task_state(self) -> dict[str, NDArray[np.float64]]:
        """This simulation's fields the task reads, as N = 1 arrays of ``self.data``.

        Views, made once per ``MjData`` (its arrays never move): the sensors swap
        ``self.data`` for a measured copy and back, so each of the two keeps its own.
        """
        views = self._task_views.get(id(self.data))
        if views is None or views[0] is not self.data:
            views = (self.data, state_of(self.data, self.task_arrays.fields))
            self._task_views[id(self.data)] = views
        return views[1]

    def state_obs(self) -> NDArray[np.float64]:
        """Return the state observation vector (see the task's table)."""
        return self.task_arrays.observe(self.task_state())[0]

    def reward_terms(self, action: NDArray[np.float64], before: Any = None) -> dict[str, float]:  # noqa: ANN401
        """Return the named reward terms; the reward is their sum."""
        action = np.asarray(action, np.float64)[None]
        terms = self.task_arrays.reward_terms(self.task_state(), action, before)
        return {name: float(value[0]) for name, value in terms.items()}

    def is_success(self) -> bool:
        """Return whether the task is currently solved."""
        return bool(self.task_arrays.success(self.task_state())[0])

    def is_terminated(self) -> bool:
        """Return whether the episode ends in a terminal state."""
        return bool(self.task_arrays.terminated(self.task_state())[0])

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

    # -- Gymnasium API ------------------------------------------------------
    def _observe(self) -> tuple[NDArray | dict[str, NDArray], NDArray[np.float64]]:
        state = self.measure_state(self.observe_state())
        if self.obs_type == "state":
            return state, state
        image = self.render_camera(self.image_size, self.image_size)
        if self.camera_gap is not None:
            image = self.camera_gap.sense(image, self.camera_rng())
        if self.obs_type == "pixels":
            return image, state
        reading = self.joint_reading
        joints = self.sensor_joints
        proprio = np.array([reading.qpos[j] for j in joints] + [reading.qvel[j] for j in joints])
        return {PIXELS: image, PROPRIO: proprio}, state

    def camera_rng(self) -> np.random.Generator:
        """The camera's own generator, spawned from the env's seed.

        Spawned from the seed sequence of ``np_random`` (drawing nothing from it), so the
        camera's noise repeats with the env's seed and leaves every other draw of the env,
        and with them the state trajectory, as they are without it. (Gymnasium seeds
        ``np_random`` from a ``SeedSequence``; a generator set by hand without one gives
        the camera a fixed ``SeedSequence(0)``.)
        """
        source = self.np_random
        if self._camera_rng is None or self._camera_rng[0] is not source:
            seed_seq = getattr(source.bit_generator, "seed_seq", None)
            child = seed_seq.spawn(1)[0] if seed_seq is not None else np.random.SeedSequence(0)
            self._camera_rng = (source, np.random.default_rng(child))
        return self._camera_rng[1]

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
        before = self.task_arrays.before_step(self.task_state())
        self.do_simulation(action, self.frame_skip)
        terms = self.reward_terms(action, before)
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
        self.restart_sensors()
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

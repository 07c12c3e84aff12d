"""Any MuJoCo model as a Gymnasium env: drive, randomize and record a robot by name.

``simreal/Model-v0`` wraps one MJCF file, or a model an installed package ships
(``robosuite-models:z1``, ``gymnasium-robotics:franka_kitchen``: see
:mod:`simreal.model_catalog`). The action is the actuators' commands (a box over their
``ctrlrange``), held for ``frame_skip`` physics steps; the observation is what joint
encoders report, the positions then velocities of the model's 1-DoF (hinge and slide)
joints; the reward is 0 and an episode never terminates (a time limit ends it). It is a
robot, not a task: domain randomization, ``simreal record`` and the batched vector env
work on it as on the tasks.

>>> import simreal
>>> env = simreal.make("simreal/Model-v0", model="dm_control:cartpole")
>>> env.observation_space.shape
(4,)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import mujoco
import numpy as np
from gymnasium import spaces
from gymnasium.envs.mujoco.mujoco_env import MujocoEnv
from numpy.typing import NDArray

from simreal.envs.task_arrays import State, TaskArrays, state_of
from simreal.model_catalog import is_model_name, resolve_model

_ONE_DOF = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))


def encoder_observation(
    qpos: NDArray, qvel: NDArray, qpos_adr: NDArray, dof_adr: NDArray
) -> NDArray[np.float64]:
    """Positions then velocities of the 1-DoF joints, for ``(nq,)`` or ``(N, nq)`` states."""
    return np.concatenate([qpos[..., qpos_adr], qvel[..., dof_adr]], axis=-1)


def model_path(model: str | Path) -> Path:
    """An MJCF path, or the file of a catalog name (``<package>:<model>``)."""
    path = Path(model)
    if not path.is_file() and is_model_name(str(model)):
        return resolve_model(str(model))
    if not path.is_file():
        raise ValueError(f"model {model}: no such file; give an MJCF path or a catalog name.")
    return path.resolve()


class ModelArrays(TaskArrays):
    """``simreal/Model-v0`` over N simulations: the encoders' reading, no reward."""

    def observe(self, s: State) -> NDArray:
        """1-DoF joint positions, then velocities."""
        return encoder_observation(s["qpos"], s["qvel"], self.env.qpos_adr, self.env.dof_adr)

    def reward_terms(self, s: State, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """No reward: a robot, not a task."""
        return {"none": np.zeros(len(s["qpos"]))}


class ModelEnv(MujocoEnv):
    """One MuJoCo model as an env (see the module docstring).

    Args:
        model: An MJCF path or a catalog name.
        frame_skip: Physics steps per env step.
        render_mode: Gymnasium's render mode.
        **kwargs: Passed to ``MujocoEnv`` (``width``, ``height``, ``camera_name``, ...).
    """

    metadata: dict[str, Any] = {"render_modes": ["human", "rgb_array", "depth_array"]}  # noqa: RUF012
    arrays: ClassVar[type[TaskArrays]] = ModelArrays

    def __init__(
        self, model: str | Path | None = None, frame_skip: int = 5,
        render_mode: str | None = None, **kwargs: Any,  # noqa: ANN401
    ) -> None:  # fmt: skip
        if model is None:
            raise ValueError("simreal/Model-v0 needs model=<an MJCF path or a catalog name, "
                             "e.g. robosuite-models:z1>.")  # fmt: skip
        path = model_path(model)
        probe = mujoco.MjModel.from_xml_path(str(path))
        self.joint_names = [probe.joint(i).name for i in range(probe.njnt)
                            if int(probe.jnt_type[i]) in _ONE_DOF]  # fmt: skip
        self.qpos_adr = np.array([probe.joint(n).qposadr[0] for n in self.joint_names], np.intp)
        self.dof_adr = np.array([probe.joint(n).dofadr[0] for n in self.joint_names], np.intp)
        fps = int(round(1.0 / (probe.opt.timestep * frame_skip)))
        self.metadata = {**self.metadata, "render_fps": fps}
        shape = (2 * len(self.joint_names),)
        observation_space = spaces.Box(-np.inf, np.inf, shape, np.float64)
        MujocoEnv.__init__(self, str(path), frame_skip, observation_space,
                           render_mode=render_mode, **kwargs)  # fmt: skip
        self.model_name = str(model)
        self.task_arrays = self.arrays(self)

    def observe(self) -> NDArray[np.float64]:
        """The encoders' reading: 1-DoF joint positions, then velocities."""
        return self.task_arrays.observe(state_of(self.data, self.task_arrays.fields))[0]

    def step(self, action: NDArray) -> tuple[NDArray, float, bool, bool, dict]:
        """Hold the commands for ``frame_skip`` physics steps."""
        self.do_simulation(np.asarray(action, np.float64), self.frame_skip)
        if self.render_mode == "human":
            self.render()
        return self.observe(), 0.0, False, False, {}

    def reset_model(self) -> NDArray[np.float64]:
        """The model's initial state (its ``qpos0``, at rest)."""
        self.set_state(self.init_qpos, self.init_qvel)
        return self.observe()

"""A simulated joint-sensor model: an offset and a gain on each joint's measured position.

A real robot's encoders read off by a calibration offset (and sometimes a scale
error); a system-identification fit names them ``bias.qpos[<joint>]`` and
``gain.qpos[<joint>]``. This wrapper makes them settings that a domain
randomization spec can set, and hands them to the task's sensor channel
(:meth:`simreal.envs.mujoco_task.MujocoTaskEnv.measure_joints`), so the
observation follows the measured joints: for a pendulum observed as the cosine
and sine of its angle, an offset of 0.05 rad turns both by 0.05 rad.
"""

from __future__ import annotations

import math

import gymnasium as gym

from simreal.wrappers.randomizable import RandomizableWrapper


class JointSensorModel(RandomizableWrapper):
    """Expose a task's joint-sensor offsets and gains as randomizable settings.

    >>> import gymnasium as gym
    >>> import simreal
    >>> env = JointSensorModel(gym.make("simreal/PendulumSwingup-v0"))
    >>> env.set_param("bias.qpos[hinge]", 0.05)
    >>> obs, _ = env.reset(seed=0)
    >>> round(float(env.unwrapped.joint_reading.qpos["hinge"] - env.unwrapped.data.qpos[0]), 6)
    0.05

    Args:
        env: An env whose ``unwrapped`` has a sensor channel (a simreal task).

    Raises:
        ValueError: If the env has no sensor channel.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        base = env.unwrapped
        if not hasattr(base, "sensor_bias") or not hasattr(base, "sensor_joints"):
            raise ValueError(
                f"{type(base).__name__} has no joint sensor channel; bias.qpos[<joint>] and "
                "gain.qpos[<joint>] apply to simreal's tasks (MujocoTaskEnv subclasses)."
            )
        self._base = base
        self.PARAMS = {f"bias.qpos[{j}]": (j, -math.inf) for j in base.sensor_joints} | {
            f"gain.qpos[{j}]": (j, 0.0) for j in base.sensor_joints
        }

    def set_param(self, param_id: str, value: float) -> None:
        """Set a joint's sensor offset or gain (acts from the next observation)."""
        joint, lower = self._lookup(param_id)
        value = float(value)
        if not math.isfinite(value) or value < lower:
            raise ValueError(f"{param_id} must be a finite number >= {lower}, got {value!r}.")
        target = self._base.sensor_bias if param_id.startswith("bias.") else self._base.sensor_gain
        target[joint] = value

    def get_param(self, param_id: str) -> float:
        """Return a joint's sensor offset (0 unless set) or gain (1 unless set)."""
        joint, _ = self._lookup(param_id)
        if param_id.startswith("bias."):
            return float(self._base.sensor_bias.get(joint, 0.0))
        return float(self._base.sensor_gain.get(joint, 1.0))

    def _lookup(self, param_id: str) -> tuple[str, float]:
        if param_id not in self.PARAMS:
            raise KeyError(
                f"{type(self).__name__} has no setting {param_id!r}; it has {sorted(self.PARAMS)}."
            )
        return self.PARAMS[param_id]

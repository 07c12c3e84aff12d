"""Which task arrays step an env's N simulations in the batched vector env.

The vector env steps N simulations with ``mujoco.batch.Batch`` and turns their state into
N observations and rewards with the task's own arrays
(:class:`simreal.envs.task_arrays.TaskArrays`, the functions the single env calls with
N = 1), so there is no second copy of a task to keep in step.
"""

from __future__ import annotations

import gymnasium as gym

from simreal.envs.task_arrays import TaskArrays
from simreal.vector.gymnasium_tasks import GYMNASIUM_ARRAYS


class NotBatchableError(Exception):
    """The env cannot be stepped by the batched vector env (e.g. image observations)."""


def task_arrays_for(env: gym.Env) -> TaskArrays:
    """The task arrays of an env (its ``unwrapped`` class decides).

    A simreal env class whose own body declares ``arrays`` is batched with them; a
    subclass that only inherits them (a real proxy, whose sensors and edits the batch does
    not model) is not. Gymnasium's envs are batched where :data:`GYMNASIUM_ARRAYS` has them.

    The arrays hold the env weakly (the env holds its own arrays): keep the env alive as
    long as they are used.

    Raises:
        NotBatchableError: If the env has no task arrays or observes images.
    """
    base = env.unwrapped
    if getattr(base, "obs_type", "state") != "state":
        raise NotBatchableError(
            f"{type(base).__name__} observes images, which the batch cannot render."
        )
    arrays = vars(type(base)).get("arrays") or GYMNASIUM_ARRAYS.get(type(base))
    if arrays is None:
        raise NotBatchableError(f"no task arrays for {type(base).__name__}.")
    return arrays(base)

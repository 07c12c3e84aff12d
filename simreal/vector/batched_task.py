"""Batched observation, reward and termination of a task, over N simulations at once.

The vector env steps N simulations with ``mujoco.batch.Batch`` and must then
turn their state into N observations and rewards without a Python loop per
simulation. Each batchable env class has an adapter that computes, from the
batch's ``(N, ...)`` data arrays, exactly what the single env's ``step``
returns; the equivalence test checks them against the single envs.

Adapters resolve every index by name from the env's model when built.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

Arrays = dict[str, NDArray[np.float64]]


class NotBatchableError(Exception):
    """The env cannot be stepped by the batched vector env (e.g. image observations)."""


class BatchedTask(ABC):
    """Base adapter: what to bind from the batch and how to compute a step's results.

    Subclasses set ``fields`` (``MjData`` field names to bind) and implement
    :meth:`observe`, :meth:`reward_terms` and optionally :meth:`before_step`,
    :meth:`success`, :meth:`terminated` and :meth:`extra_info`.
    """

    fields: ClassVar[tuple[str, ...]] = ("qpos", "qvel")

    def __init__(self, env: gym.Env) -> None:
        self.env = env

    def before_step(self, d: Arrays) -> Any:  # noqa: ANN401
        """Quantities needed from the state before the step (default: none)."""
        return None

    @abstractmethod
    def observe(self, d: Arrays) -> NDArray[np.float64]:
        """Return the ``(N, obs_dim)`` observations."""

    @abstractmethod
    def reward_terms(self, d: Arrays, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """Return the named ``(N,)`` reward terms; the reward is their sum."""

    def success(self, d: Arrays) -> NDArray[np.bool_]:
        """Return ``(N,)`` success flags (default: none succeed)."""
        return np.zeros(len(d["qpos"]), bool)

    def terminated(self, d: Arrays) -> NDArray[np.bool_]:
        """Return ``(N,)`` termination flags (default: never)."""
        return np.zeros(len(d["qpos"]), bool)

    def extra_info(self, d: Arrays, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """Other per-env ``info`` entries of the single env's ``step`` (default: none)."""
        return {}


_ADAPTERS: dict[type, Callable[[gym.Env], BatchedTask]] = {}


def register_batched(env_class: type) -> Callable:
    """Class decorator: register an adapter for an env class (exact class match)."""

    def decorate(adapter: type[BatchedTask]) -> type[BatchedTask]:
        _ADAPTERS[env_class] = adapter
        return adapter

    return decorate


def batched_task_for(env: gym.Env) -> BatchedTask:
    """Build the adapter of an env (its ``unwrapped`` class decides).

    Raises:
        NotBatchableError: If no adapter exists or the env observes images.
    """
    import simreal.envs.batched  # noqa: F401  (registers simreal's adapters)
    import simreal.vector.gymnasium_tasks  # noqa: F401  (and Gymnasium's)

    base = env.unwrapped
    if getattr(base, "obs_type", "state") != "state":
        raise NotBatchableError(
            f"{type(base).__name__} observes images, which the batch cannot render."
        )
    adapter = _ADAPTERS.get(type(base))
    if adapter is None:
        raise NotBatchableError(f"no batched adapter for {type(base).__name__}.")
    return adapter(base)


def wrap_angle(angle: NDArray) -> NDArray:
    """Wrap angles to [-pi, pi)."""
    return (angle + np.pi) % (2 * np.pi) - np.pi

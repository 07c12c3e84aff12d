"""A task's observation, reward, success and termination, over N simulations at once.

A task is written once, as functions of ``(N, ...)`` arrays of the simulation state (as
MuJoCo Playground and Brax write theirs): the single env calls them with N = 1 on its own
``MjData``, the batched vector env with the batch's arrays of N simulations. Each task's
``env.py`` holds its class beside the env, and the env names it in ``arrays``.

Indices are resolved by name from the env's model when the class is built.
"""

from __future__ import annotations

import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import mujoco
import numpy as np
from numpy.typing import NDArray

State = Mapping[str, NDArray[np.float64]]
"""``MjData`` field name -> ``(N, ...)`` array."""


def state_of(data: mujoco.MjData, fields: Iterable[str]) -> dict[str, NDArray[np.float64]]:
    """One simulation's fields as N = 1 arrays (views, no copies)."""
    return {field: getattr(data, field)[None] for field in fields}


def columns(*values: NDArray) -> NDArray[np.float64]:
    """``(N,)`` arrays as the columns of one ``(N, k)`` array.

    What ``np.stack(values, axis=1)`` gives, at a third of its cost for the few small
    arrays of one env's step.
    """
    out = np.empty((len(values[0]), len(values)))
    for j, value in enumerate(values):
        out[:, j] = value
    return out


def wrap_angle(angle: NDArray | float) -> NDArray | float:
    """Wrap angles to [-pi, pi)."""
    return (angle + np.pi) % (2 * np.pi) - np.pi


class TaskArrays(ABC):
    """What a task reads from the state, and how it turns that into a step's results.

    Subclasses set ``fields`` (the ``MjData`` fields they read) and implement
    :meth:`observe` and :meth:`reward_terms`, and optionally :meth:`before_step`,
    :meth:`success`, :meth:`terminated` and :meth:`extra_info`.

    Args:
        env: The (unwrapped) env whose model names the elements.
    """

    fields: ClassVar[tuple[str, ...]] = ("qpos", "qvel")

    def __init__(self, env: Any) -> None:  # noqa: ANN401
        # A weak reference: the env holds its arrays, and a cycle would keep a closed env
        # (and its renderer's GL context) alive until the garbage collector runs.
        self.env = weakref.proxy(env)

    def qpos_index(self, joint: str) -> int:
        """The ``qpos`` address of a named joint."""
        return int(self.env.model.joint(joint).qposadr[0])

    def dof_index(self, joint: str) -> int:
        """The ``qvel`` address of a named joint."""
        return int(self.env.model.joint(joint).dofadr[0])

    def before_step(self, s: State) -> Any:  # noqa: ANN401
        """Quantities needed from the state before the step (default: none); copies."""
        return None

    @abstractmethod
    def observe(self, s: State) -> NDArray[np.float64]:
        """Return the ``(N, obs_dim)`` observations."""

    @abstractmethod
    def reward_terms(self, s: State, action: NDArray, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """Return the named ``(N,)`` reward terms; the reward is their sum."""

    def success(self, s: State) -> NDArray[np.bool_]:
        """Return ``(N,)`` success flags (default: none succeed)."""
        return np.zeros(len(s["qpos"]), bool)

    def terminated(self, s: State) -> NDArray[np.bool_]:
        """Return ``(N,)`` termination flags (default: never)."""
        return np.zeros(len(s["qpos"]), bool)

    def extra_info(self, s: State, before: Any) -> dict[str, NDArray]:  # noqa: ANN401
        """Other per-env ``info`` entries of a step (default: none)."""
        return {}

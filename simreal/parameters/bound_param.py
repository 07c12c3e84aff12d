"""A parameter bound to one model: reads, clipped writes, and linear write targets."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.parameters.address import ParamAddress
from simreal.parameters.clips import Clip, clip_bool


@dataclass(frozen=True)
class LinearTarget:
    """``model_array(model, array).flat[index] = coeff * value[component]``."""

    array: str
    index: NDArray[np.intp]
    coeff: NDArray[np.float64]
    component: NDArray[np.intp]


def _flat_index(array: NDArray, rows: tuple[int, ...], columns: tuple[int, ...] | None) -> NDArray:
    if array.ndim == 1:
        return np.asarray(rows, np.intp)
    width = array.shape[1]
    cols = columns if columns is not None else tuple(range(width))
    return np.array([r * width + c for r in rows for c in cols], np.intp)


@dataclass
class BoundParam(ABC):
    """A parameter resolved against one model.

    Attributes:
        address: What the parameter is.
        nominal: Its value in the model when bound (flat float array).
        unit: Physical unit, for tables and plots.
        clip: The domain rule (see the module docstring).
        dynamics: Whether changing it requires ``mj_setConst`` (masses, inertias,
            armature, gear); visual parameters do not.
        choices: For a choice parameter (texture), the names it can take; its
            value is an index into them.
    """

    address: ParamAddress
    nominal: NDArray[np.float64]
    unit: str
    clip: Clip
    dynamics: bool
    choices: tuple[str, ...] | None = None

    @property
    def id(self) -> str:
        """Canonical id."""
        return self.address.id

    @property
    def size(self) -> int:
        """Number of scalar components."""
        return int(self.nominal.size)

    @abstractmethod
    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current value in ``model`` (flat float array)."""

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the per-component ``(low, high)`` of the domain the clip rule enforces."""
        shape = self.nominal.shape
        a = self.clip(np.full(shape, -np.inf), self.nominal)
        b = self.clip(np.full(shape, np.inf), self.nominal)
        return np.minimum(a, b), np.maximum(a, b)

    @property
    def rounds(self) -> bool:
        """Whether values are rounded to 0/1 (flags such as ``castshadow``)."""
        return self.clip is clip_bool

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """Describe the write as ``array.flat[index] = coeff * value[component]``.

        Batched writers (many parameters, many simulations) use this to write
        with one scatter per array; ``None`` means the write is not linear
        (orientations, texture choices) and must go through :meth:`write`.
        """
        return None

    def write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> NDArray[np.float64]:
        """Clip ``value`` into the domain, write it into ``model`` and return what was written."""
        value = self.clip(
            np.broadcast_to(np.asarray(value, np.float64), self.nominal.shape).copy(), self.nominal
        )
        self.write_clipped(model, value)
        return value

    @abstractmethod
    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""


@dataclass
class ArrayParam(BoundParam):
    """A parameter stored in ``model.<array>[rows][:, columns]``."""

    array: str = ""
    rows: tuple[int, ...] = ()
    columns: tuple[int, ...] | None = None

    def _view(self, model: mujoco.MjModel) -> NDArray:
        return getattr(model, self.array)

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current value."""
        arr = self._view(model)
        rows = list(self.rows)
        values = arr[rows] if self.columns is None else arr[np.ix_(rows, list(self.columns))]
        return np.asarray(values, dtype=np.float64).ravel()

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """One target: the array entries themselves."""
        index = _flat_index(self._view(model), self.rows, self.columns)
        return [LinearTarget(self.array, index, np.ones(index.size), np.arange(index.size))]

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        arr = self._view(model)
        rows = list(self.rows)
        if self.columns is None:
            arr[rows] = value.reshape(arr[rows].shape)
        else:
            index = np.ix_(rows, list(self.columns))
            arr[index] = value.reshape(arr[index].shape)


@dataclass
class OptionParam(BoundParam):
    """A global physics option (``model.opt.<attribute>``)."""

    attribute: str = ""

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current value."""
        return np.atleast_1d(np.asarray(getattr(model.opt, self.attribute), np.float64)).copy()

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """Vector options are written in place; scalar ones need ``setattr``."""
        if np.ndim(getattr(model.opt, self.attribute)) == 0:
            return None
        index = np.arange(self.size)
        return [LinearTarget(f"opt.{self.attribute}", index, np.ones(self.size), index)]

    def write_clipped(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""
        current = getattr(model.opt, self.attribute)
        if np.ndim(current) == 0:
            setattr(model.opt, self.attribute, float(value[0]))
        else:
            current[:] = value

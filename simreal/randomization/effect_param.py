"""A setting of an effect wrapper (latency, noise, pushes) as a randomizable parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import mujoco
import numpy as np
from numpy.typing import NDArray


class EffectSettings(Protocol):
    """What randomization needs of an effect's owner: settings readable and writable by id.

    :class:`simreal.wrappers.randomizable.RandomizableWrapper` (the single env's wrappers) is
    one; randomization itself stays free of Gymnasium.
    """

    PARAMS: ClassVar[dict[str, tuple[str, float]]]

    def set_param(self, param_id: str, value: float) -> None:
        """Set one setting by id."""

    def get_param(self, param_id: str) -> float:
        """Return one setting by id."""


@dataclass
class EffectParam:
    """A setting owned by an effect wrapper (latency, noise, pushes)."""

    id: str
    wrapper: EffectSettings
    nominal: NDArray[np.float64]
    choices: None = None
    dynamics: bool = False

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The setting's lower bound (0 for latency and noise levels; none for an offset)."""
        lower = self.wrapper.PARAMS[self.id][1] if self.id in self.wrapper.PARAMS else 0.0
        return np.full(1, float(lower)), np.full(1, np.inf)

    def write(self, model: mujoco.MjModel | None, value: NDArray) -> NDArray[np.float64]:
        """Clip at the setting's lower bound (0 for latency and noise levels) and set it."""
        clipped = np.maximum(np.asarray(value, np.float64).reshape(1), self.bounds()[0])
        self.wrapper.set_param(self.id, float(clipped[0]))
        return clipped

    def read(self, model: mujoco.MjModel | None) -> NDArray[np.float64]:
        """Return the current setting."""
        return np.array([self.wrapper.get_param(self.id)])

    @property
    def size(self) -> int:
        """One scalar."""
        return 1

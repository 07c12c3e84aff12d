"""The protocol between the domain-randomization wrapper and the effect wrappers.

Latency, noise and push wrappers each own a few scalar settings (a delay in
seconds, a noise level). Each setting has a canonical id from simreal's
parameter vocabulary (``latency.action``, ``noise.observation``, ...). The
:class:`~simreal.wrappers.domain_randomization.DomainRandomization` wrapper
finds the wrappers beneath it and sets these values before every reset it
resamples, so one spec randomizes the model and the effects alike.
"""

from __future__ import annotations

import math
from typing import ClassVar

import gymnasium as gym


class RandomizableWrapper(gym.Wrapper):
    """A wrapper whose scalar settings can be set by id between episodes.

    Subclasses declare ``PARAMS``: canonical id -> ``(attribute name, lower bound)``.
    Values below the lower bound are rejected with a ``ValueError`` naming the id.
    """

    PARAMS: ClassVar[dict[str, tuple[str, float]]] = {}

    def set_param(self, param_id: str, value: float) -> None:
        """Set one setting; takes effect from the next reset (or at once where documented).

        Args:
            param_id: One of the ids in ``PARAMS``.
            value: The new value.

        Raises:
            KeyError: If the id is not one of this wrapper's settings.
            ValueError: If the value is not finite or below the setting's lower bound.
        """
        if param_id not in self.PARAMS:
            raise KeyError(
                f"{type(self).__name__} has no setting {param_id!r}; it has {sorted(self.PARAMS)}."
            )
        attribute, lower = self.PARAMS[param_id]
        value = float(value)
        if not math.isfinite(value) or value < lower:
            raise ValueError(f"{param_id} must be a finite number >= {lower}, got {value!r}.")
        setattr(self, attribute, value)

    def get_param(self, param_id: str) -> float:
        """Return the current value of one setting."""
        if param_id not in self.PARAMS:
            raise KeyError(
                f"{type(self).__name__} has no setting {param_id!r}; it has {sorted(self.PARAMS)}."
            )
        return float(getattr(self, self.PARAMS[param_id][0]))


def randomizable_wrappers(env: gym.Env) -> dict[str, RandomizableWrapper]:
    """Map every setting id found in ``env``'s wrapper chain to the wrapper that owns it.

    Args:
        env: The outermost env.

    Returns:
        ``{param_id: wrapper}``; the outermost wrapper wins if two own the same id.
    """
    found: dict[str, RandomizableWrapper] = {}
    current: gym.Env = env
    while True:
        if isinstance(current, RandomizableWrapper):
            for param_id in current.PARAMS:
                found.setdefault(param_id, current)
        if not isinstance(current, gym.Wrapper):
            return found
        current = current.env

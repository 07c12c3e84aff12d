"""The clip rules: the physical domain of each kind of model quantity.

Every written value is first clipped into its quantity's domain: non-negative quantities
(friction, damping, armature, frictionloss, stiffness, kv, latency, noise) at 0; strictly
positive ones (mass, kp, gear magnitude, field of view) at 1% of their nominal magnitude;
colours and reflectances into [0, 1]; a gear keeps its nominal sign; a force range keeps
``low <= 0 <= high``; a shadow flag is rounded to 0 or 1. Each rule takes the value and the
nominal and returns the clipped value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray


def clip_nonnegative(value: NDArray, nominal: NDArray) -> NDArray:
    """At least 0 (friction, damping, armature, kv, ...)."""
    return np.maximum(value, 0.0)


def clip_positive(value: NDArray, nominal: NDArray) -> NDArray:
    """At least 1% of the nominal magnitude (mass, kp, a force limit)."""
    return np.maximum(value, 0.01 * np.abs(nominal))


def clip_unit(value: NDArray, nominal: NDArray) -> NDArray:
    """Into [0, 1] (colours, reflectances)."""
    return np.clip(value, 0.0, 1.0)


def clip_real(value: NDArray, nominal: NDArray) -> NDArray:
    """Unclipped (positions, gains, gravity)."""
    return value


def clip_same_sign(value: NDArray, nominal: NDArray) -> NDArray:
    """The nominal's sign, at least 1% of its magnitude (gear, solref)."""
    sign = np.where(nominal < 0, -1.0, 1.0)
    return sign * np.maximum(sign * value, 0.01 * np.abs(nominal))


def clip_fovy(value: NDArray, nominal: NDArray) -> NDArray:
    """A field of view between 1% of the nominal and 179 degrees."""
    return np.clip(value, 0.01 * np.abs(nominal), 179.0)


def clip_range(value: NDArray, nominal: NDArray) -> NDArray:
    """A force range with ``low <= 0 <= high``."""
    low, high = min(value[0], 0.0), max(value[1], 0.0)
    return np.array([low, high])


def clip_solimp(value: NDArray, nominal: NDArray) -> NDArray:
    """The impedance terms of ``solimp`` strictly inside (0, 1)."""
    out = value.copy()
    out[:3] = np.clip(out[:3], 1e-4, 0.9999)
    return out


def clip_bool(value: NDArray, nominal: NDArray) -> NDArray:
    """Rounded to 0 or 1 (shadow flags)."""
    return (value > 0.5).astype(np.float64)


Clip = Callable[[NDArray, NDArray], NDArray]

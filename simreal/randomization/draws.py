"""Vectorised draws: each distribution family's parameters and inverse CDF, and bound terms.

A spec's terms are drawn as one flat vector: every component's uniform number goes through
its family's inverse CDF (:data:`INVERSE_CDF`) with the four parameters
:func:`family_of` gives, so sampling costs a few numpy operations whatever the number of
terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from simreal.parameters import BoundParam
from simreal.randomization.distributions import (
    Choice,
    Distribution,
    Fixed,
    LogUniform,
    Normal,
    TruncatedNormal,
    Uniform,
)
from simreal.randomization.effect_param import EffectParam
from simreal.randomization.spec import Term

UNIFORM, LOG_UNIFORM, NORMAL, TRUNCATED, FIXED, CHOICE = range(6)


def family_of(dist: Distribution) -> tuple[int, tuple[float, float, float, float]]:
    """Return a distribution's family code and its four parameters for vectorised draws."""
    if isinstance(dist, Uniform):
        return UNIFORM, (dist.low, dist.high, 0.0, 0.0)
    if isinstance(dist, LogUniform):
        return LOG_UNIFORM, (np.log(dist.low), np.log(dist.high), 0.0, 0.0)
    if isinstance(dist, TruncatedNormal):
        a = float(ndtr((dist.low - dist.mean_) / dist.std))
        b = float(ndtr((dist.high - dist.mean_) / dist.std))
        return TRUNCATED, (dist.mean_, dist.std, a, b)
    if isinstance(dist, Normal):
        return NORMAL, (dist.mean_, dist.std, 0.0, 0.0)
    if isinstance(dist, Fixed):
        return FIXED, (dist.value, 0.0, 0.0, 0.0)
    return CHOICE, (0.0, 0.0, 0.0, 0.0)


def _open_unit(u: NDArray) -> NDArray:
    return np.clip(u, 1e-16, 1.0 - 1e-16)


# Inverse-CDF transforms of uniform draws, one per family: vectorised over all terms.
INVERSE_CDF = {
    UNIFORM: lambda u, p: p[:, 0] + (p[:, 1] - p[:, 0]) * u,
    LOG_UNIFORM: lambda u, p: np.exp(p[:, 0] + (p[:, 1] - p[:, 0]) * u),
    NORMAL: lambda u, p: p[:, 0] + p[:, 1] * ndtri(_open_unit(u)),
    TRUNCATED: lambda u, p: (
        p[:, 0] + p[:, 1] * ndtri(_open_unit(p[:, 2] + (p[:, 3] - p[:, 2]) * u))
    ),
    FIXED: lambda u, p: p[:, 0].copy(),
}


@dataclass
class BoundTerm:
    """A term resolved against a model: its parameter and its centre."""

    term: Term
    param: BoundParam | EffectParam
    centre: NDArray[np.float64]

    @property
    def id(self) -> str:
        """Canonical id."""
        return self.term.id

    def sample(self, rng: np.random.Generator, width: float) -> NDArray[np.float64]:
        """Draw one value (physical units, before clipping) at ``width``."""
        dist = self.term.distribution
        n = 1 if self.term.shared else self.param.size
        draws = np.broadcast_to(dist.draw(rng, n), (self.param.size,)).astype(np.float64)
        width = width * self.term.width_factor
        if isinstance(dist, Choice):
            keep = rng.random() < min(width, 1.0)
            widened = draws if keep else self.centre
        else:
            widened = dist.widen(draws, self.centre, width)
        return self._apply_op(widened)

    def _apply_op(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        nominal = self.param.nominal
        if self.term.op == "scale":
            return nominal * x
        if self.term.op == "add":
            return nominal + x
        return np.broadcast_to(x, nominal.shape).copy()

    def op_value(self, physical: NDArray[np.float64]) -> NDArray[np.float64]:
        """Convert a physical value into the operation's units (inverse of the op)."""
        nominal = self.param.nominal
        if self.term.op == "scale":
            return physical / np.where(nominal != 0, nominal, 1.0)
        if self.term.op == "add":
            return physical - nominal
        return physical

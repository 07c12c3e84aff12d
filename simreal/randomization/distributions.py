"""Distributions of domain-randomization terms, and how ``width`` scales them.

Every term has a *centre* ``c`` in its operation's units (1 for ``scale``, 0 for
``add``, the nominal value for ``set``, unless re-centred). The global width
``w >= 0`` maps each draw ``x`` of the configured distribution to::

    linear distributions (uniform, normal, truncated normal, fixed):  c + w * (x - c)
    log-uniform (centre c > 0, checked when a spec is read and bound): c * (x / c) ** w
    choice / Bernoulli: with probability min(w, 1) the draw, otherwise the centre

so ``w = 0`` is the centre (the nominal simulator), ``w = 1`` the configured
distribution, ``w = 2`` one twice as wide about the same centre.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import scipy.stats
from numpy.typing import NDArray


@dataclass(frozen=True)
class Distribution(ABC):
    """Base class: ``draw`` samples the configured distribution (width 1)."""

    kind: ClassVar[str] = ""

    @abstractmethod
    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:
        """Draw ``size`` independent samples at width 1."""

    def widen(self, x: NDArray[np.float64], centre: NDArray[np.float64], width: float) -> NDArray:
        """Map width-1 draws to draws at ``width`` about ``centre`` (linear rule)."""
        return centre + width * (x - centre)

    @abstractmethod
    def shifted(self, delta: float) -> Distribution:
        """Return the distribution moved by ``delta`` (additive re-centring)."""

    @abstractmethod
    def scaled(self, factor: float) -> Distribution:
        """Return the distribution multiplied by ``factor > 0`` (multiplicative re-centring)."""

    @abstractmethod
    def mean(self) -> float:
        """The mean at width 1 (used as the centre of a ``set`` term without one)."""


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]``."""

    low: float
    high: float
    kind: ClassVar[str] = "uniform"

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:  # noqa: D102
        return rng.uniform(self.low, self.high, size)

    def shifted(self, delta: float) -> Uniform:  # noqa: D102
        return Uniform(self.low + delta, self.high + delta)

    def scaled(self, factor: float) -> Uniform:  # noqa: D102
        return Uniform(self.low * factor, self.high * factor)

    def mean(self) -> float:  # noqa: D102
        return 0.5 * (self.low + self.high)


@dataclass(frozen=True)
class LogUniform(Distribution):
    """Log-uniform on ``[low, high]`` with ``0 < low <= high``; widened in log space."""

    low: float
    high: float
    kind: ClassVar[str] = "log_uniform"

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:  # noqa: D102
        return np.exp(rng.uniform(math.log(self.low), math.log(self.high), size))

    def widen(self, x: NDArray, centre: NDArray, width: float) -> NDArray:  # noqa: D102
        if np.any(np.asarray(centre) <= 0):
            raise ValueError(f"log-uniform widening needs a centre > 0, got {centre!r}")
        return centre * (x / centre) ** width

    def shifted(self, delta: float) -> LogUniform:  # noqa: D102
        raise ValueError("a log-uniform term can only be re-centred multiplicatively (op: scale)")

    def scaled(self, factor: float) -> LogUniform:  # noqa: D102
        return LogUniform(self.low * factor, self.high * factor)

    def mean(self) -> float:  # noqa: D102
        return math.sqrt(self.low * self.high)


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal with ``mean`` and ``std``."""

    mean_: float
    std: float
    kind: ClassVar[str] = "normal"

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:  # noqa: D102
        return rng.normal(self.mean_, self.std, size)

    def shifted(self, delta: float) -> Normal:  # noqa: D102
        return Normal(self.mean_ + delta, self.std)

    def scaled(self, factor: float) -> Normal:  # noqa: D102
        return Normal(self.mean_ * factor, self.std * factor)

    def mean(self) -> float:  # noqa: D102
        return self.mean_


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """Normal with ``mean`` and ``std`` truncated to ``[low, high]``."""

    mean_: float
    std: float
    low: float
    high: float
    kind: ClassVar[str] = "truncated_normal"

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:  # noqa: D102
        a, b = (self.low - self.mean_) / self.std, (self.high - self.mean_) / self.std
        return scipy.stats.truncnorm.rvs(a, b, self.mean_, self.std, size=size, random_state=rng)

    def shifted(self, delta: float) -> TruncatedNormal:  # noqa: D102
        return replace(self, mean_=self.mean_ + delta, low=self.low + delta, high=self.high + delta)

    def scaled(self, factor: float) -> TruncatedNormal:  # noqa: D102
        return TruncatedNormal(
            self.mean_ * factor, self.std * factor, self.low * factor, self.high * factor
        )

    def mean(self) -> float:  # noqa: D102
        a, b = (self.low - self.mean_) / self.std, (self.high - self.mean_) / self.std
        return float(scipy.stats.truncnorm.mean(a, b, self.mean_, self.std))


@dataclass(frozen=True)
class Fixed(Distribution):
    """Always ``value`` (at width 1)."""

    value: float
    kind: ClassVar[str] = "fixed"

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:  # noqa: D102
        return np.full(size, self.value)

    def shifted(self, delta: float) -> Fixed:  # noqa: D102
        return Fixed(self.value + delta)

    def scaled(self, factor: float) -> Fixed:  # noqa: D102
        return Fixed(self.value * factor)

    def mean(self) -> float:  # noqa: D102
        return self.value


@dataclass(frozen=True)
class Choice(Distribution):
    """One of ``values`` with probabilities ``probs`` (uniform if not given).

    ``Bernoulli(p)`` is ``Choice((0, 1), (1 - p, p))``. Width: with probability
    ``min(width, 1)`` the drawn value, otherwise the centre.
    """

    values: tuple[float, ...]
    probs: tuple[float, ...] | None = None
    kind: ClassVar[str] = "choice"

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:  # noqa: D102
        return rng.choice(np.asarray(self.values, np.float64), size=size, p=self.probs)

    def widen(self, x: NDArray, centre: NDArray, width: float) -> NDArray:  # noqa: D102
        raise TypeError(
            "a choice is widened by keeping the centre with probability 1 - width; "
            "BoundSpec.sample_vector does it with a draw of its own"
        )

    def shifted(self, delta: float) -> Choice:  # noqa: D102
        raise ValueError("a choice term cannot be re-centred")

    def scaled(self, factor: float) -> Choice:  # noqa: D102
        raise ValueError("a choice term cannot be re-centred")

    def mean(self) -> float:  # noqa: D102
        probs = self.probs or (1.0 / len(self.values),) * len(self.values)
        return float(np.dot(self.values, probs))

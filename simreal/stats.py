"""Confidence intervals for the quantities simreal reports."""

from __future__ import annotations

import math

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> tuple[float, float]:
    """Return the mean and the half-width of its Student-t confidence interval.

    Args:
        values: Samples (at least one).
        confidence: Two-sided confidence level.

    Returns:
        ``(mean, half_width)``; the half-width is 0 for a single sample.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("mean_ci needs at least one value.")
    if x.size == 1:
        return float(x[0]), 0.0
    sem = x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean()), float(sem * scipy.stats.t.ppf(0.5 + confidence / 2, x.size - 1))


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval of a success probability.

    Unlike the normal approximation it stays inside [0, 1] and is sensible at
    0 or ``trials`` successes.

    Args:
        successes: Number of successes.
        trials: Number of trials (>= 1).
        confidence: Two-sided confidence level.

    Returns:
        ``(low, high)``.
    """
    if trials < 1:
        raise ValueError("wilson_interval needs at least one trial.")
    z = scipy.stats.norm.ppf(0.5 + confidence / 2)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high

"""Checks of a spec's terms: a log-uniform term's centre, a latency's widened range.

They run when a spec is parsed (where the centre is known from the term) and
when it is bound to a model (where it is a nominal value, and the env's width
and episode length are known), before any reset: a spec that would fail inside
``reset`` is refused up front. Each returns the problem and its fix as one
clause, for the caller to raise with the term's name.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from simreal.randomization.distributions import (
    Choice,
    Distribution,
    Fixed,
    LogUniform,
    TruncatedNormal,
    Uniform,
)


def log_centre_problem(dist: Distribution, centre: float, where: str) -> str | None:
    """Say why a log-uniform term cannot widen about ``centre`` (``None`` if it can).

    Log-uniform widening, ``c * (x / c) ** width``, is defined only for a centre
    ``c > 0``: about 0 it has no log-space meaning (and any finite stand-in for 0
    turns width 1.5 into thousands of seconds of latency).

    Args:
        dist: The term's distribution.
        centre: Its centre, in the operation's units.
        where: Where the centre comes from (``"the centre given"``, ``"the
            nominal of an op: set term"``), for the message.

    Returns:
        The reason and the fix, or ``None``.
    """
    if not isinstance(dist, LogUniform) or centre > 0:
        return None
    geometric = math.sqrt(dist.low * dist.high)
    return (
        f"log_uniform widens in log space about its centre, which is {centre:g} here ({where}); "
        f"give a positive centre (e.g. centre: {geometric:.3g}, the geometric mean of low and "
        "high, which width 0 then gives) or use distribution: uniform"
    )


def _support(dist: Distribution) -> NDArray[np.float64] | None:
    """The extreme values a width-1 draw can take (``None`` if unbounded)."""
    if isinstance(dist, Uniform | LogUniform | TruncatedNormal):
        return np.array([dist.low, dist.high])
    if isinstance(dist, Fixed):
        return np.array([dist.value])
    if isinstance(dist, Choice):
        return np.asarray(dist.values, np.float64)
    return None


def widest_value(dist: Distribution, centre: float, width: float) -> float | None:
    """The largest value (in the operation's units) a term draws at ``width``.

    Args:
        dist: The term's distribution (at width 1).
        centre: Its centre, in the operation's units.
        width: The global width the env samples at.

    Returns:
        The largest draw, or ``None`` for an unbounded distribution (normal).
    """
    support = _support(dist)
    if support is None:
        return None
    if isinstance(dist, Choice):
        return float(max(support.max(), centre))
    if isinstance(dist, LogUniform):
        return float(np.max(centre * (support / centre) ** width))
    return float(np.max(centre + width * (support - centre)))


def latency_problem(
    op: str, dist: Distribution, nominal: float, centre: float, width: float, episode_s: float
) -> str | None:
    """Say why a latency term's widened range reaches the episode (``None`` if it does not).

    Args:
        op: The term's operation (``scale``, ``add``, ``set``).
        dist: Its distribution (at width 1).
        nominal: The wrapper's nominal delay in seconds.
        centre: The term's centre, in the operation's units.
        width: The width the env samples at (the wrapper's, not the spec file's).
        episode_s: The episode's duration in seconds.

    Returns:
        The largest delay (or that a normal draw has none), the episode and the fix,
        or ``None``.
    """
    top = widest_value(dist, centre, width)
    if top is None:
        return (
            f"a {dist.kind} draw has no upper bound, so a delay could exceed the "
            f"{episode_s:.3g} s episode inside a reset; use truncated_normal with a high below it"
        )
    peak = max({"scale": nominal * top, "add": nominal + top}.get(op, top), 0.0)
    if peak < episode_s:
        return None
    return (
        f"up to {peak:.3g} s of latency at width {width:g} is not shorter than the "
        f"{episode_s:.3g} s episode; lower its range or the width"
    )

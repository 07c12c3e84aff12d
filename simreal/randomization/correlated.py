"""Correlated terms: several scalar parameters drawn together from a multivariate normal.

A system-identification fit knows more than each parameter's error: it knows which
combinations the data pinned down and which they left open (a mass and a damping
that trade off, say). A spec's ``correlated`` block draws such parameters jointly::

    terms:
      - {param: "body[pole].mass", op: set, distribution: truncated_normal,
         mean: 1.30, std: 0.02, low: 0.5, high: 3.0, centre: 1.30}
      - {param: "joint[hinge].damping", op: set, distribution: truncated_normal,
         mean: 0.12, std: 0.01, low: 0.0, high: 1.0, centre: 0.12}
    correlated:
      - params: ["body[pole].mass", "joint[hinge].damping"]
        covariance: [[4.0e-4, -1.6e-4], [-1.6e-4, 1.0e-4]]

Every listed parameter keeps its own term (``op: set``, a ``uniform`` or
``truncated_normal`` whose ``low``/``high`` are the truncation bounds, its centre the
mean); the block replaces the terms' independent draws by one joint draw, the
centre plus a correlated normal deviation, redrawn until every component lies within
its bounds (at most :data:`TRIES` times, then clipped). The global width then scales
the deviation from the centre as it scales every term, so width 0 is the centre and
width 2 doubles the spread along every direction. A reader that ignores the block
still sees each term's own marginal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

TRIES = 16


class CorrelatedSpecError(ValueError):
    """A ``correlated`` block is invalid; the message names the block and the fix."""


@dataclass(frozen=True)
class CorrelatedGroup:
    """Parameters drawn jointly, with their covariance (in the parameters' own units).

    Attributes:
        params: Canonical ids, each with a term of its own in the spec.
        covariance: ``k x k`` symmetric positive semi-definite matrix, as nested tuples.
    """

    params: tuple[str, ...]
    covariance: tuple[tuple[float, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """The block as YAML-ready data."""
        return {"params": list(self.params), "covariance": [list(row) for row in self.covariance]}


def parse_groups(raw: Any) -> tuple[CorrelatedGroup, ...]:  # noqa: ANN401
    """Validate a spec's ``correlated`` list.

    Raises:
        CorrelatedSpecError: For a block without ``params`` and ``covariance``, a matrix
            of the wrong shape, not symmetric, or with a negative eigenvalue.
    """
    if not isinstance(raw, list):
        raise CorrelatedSpecError("'correlated' must be a list of blocks with params and "
                                  "covariance.")  # fmt: skip
    groups = []
    for index, block in enumerate(raw, start=1):
        label = f"correlated block {index}"
        if not isinstance(block, dict) or set(block) != {"params", "covariance"}:
            raise CorrelatedSpecError(f"{label}: give exactly 'params' and 'covariance'.")
        params = block["params"]
        if (
            not isinstance(params, list)
            or len(params) < 2
            or not all(isinstance(p, str) for p in params)
        ):
            raise CorrelatedSpecError(f"{label}: params must list two or more parameter ids.")
        try:
            matrix = np.array(block["covariance"], dtype=np.float64)
        except (TypeError, ValueError):
            raise CorrelatedSpecError(f"{label}: covariance must be a matrix of numbers.") from None
        k = len(params)
        if matrix.shape != (k, k) or not np.all(np.isfinite(matrix)):
            raise CorrelatedSpecError(
                f"{label}: covariance must be a finite {k} x {k} matrix (one row per param)."
            )
        if not np.allclose(matrix, matrix.T, rtol=1e-6, atol=1e-12 * np.abs(matrix).max()):
            raise CorrelatedSpecError(f"{label}: covariance must be symmetric.")
        if np.linalg.eigvalsh(matrix).min() < -1e-9 * max(np.abs(matrix).max(), 1e-300):
            raise CorrelatedSpecError(
                f"{label}: covariance has a negative eigenvalue; give a positive "
                "semi-definite matrix."
            )
        groups.append(CorrelatedGroup(tuple(params), tuple(map(tuple, matrix.tolist()))))
    return tuple(groups)


class CompiledGroup:
    """One block bound to a compiled spec: where its components sit, and how to draw them.

    Args:
        group: The block.
        components: Index of each parameter's component in the spec's flat vector.
        centre: Each parameter's centre (the joint draw's mean).
        low: Each parameter's lower truncation bound.
        high: Each parameter's upper truncation bound.
    """

    def __init__(
        self,
        group: CorrelatedGroup,
        components: NDArray[np.intp],
        centre: NDArray[np.float64],
        low: NDArray[np.float64],
        high: NDArray[np.float64],
    ) -> None:
        self.group = group
        self.components = components
        self.centre, self.low, self.high = centre, low, high
        # A square root that tolerates semi-definite matrices (an unidentified direction).
        values, vectors = np.linalg.eigh(np.array(group.covariance))
        self.root = vectors * np.sqrt(np.clip(values, 0.0, None))

    def draw(self, rng: np.random.Generator) -> NDArray[np.float64]:
        """One joint draw within the bounds; ``rng`` is consumed the same way every time."""
        normals = rng.standard_normal((TRIES, len(self.components)))
        candidates = self.centre + normals @ self.root.T
        inside = np.all((candidates >= self.low) & (candidates <= self.high), axis=1)
        first = int(np.argmax(inside)) if inside.any() else 0
        return np.clip(candidates[first], self.low, self.high)


def term_bounds(distribution: object) -> tuple[float, float]:
    """The truncation bounds a member term gives (its ``low`` and ``high``)."""
    low, high = getattr(distribution, "low", None), getattr(distribution, "high", None)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        raise CorrelatedSpecError(
            "a parameter of a correlated block needs a uniform or truncated_normal term with "
            "finite low and high (its truncation bounds)."
        )
    return float(low), float(high)


def bind_groups(raw: Any, terms: dict[str, Any]) -> tuple[CorrelatedGroup, ...]:  # noqa: ANN401
    """Validate a spec's ``correlated`` blocks against its terms (``{id: Term}``).

    Raises:
        CorrelatedSpecError: For a malformed block, a parameter without a term, a member that
            is not an ``op: set`` term of one block only, or one without finite bounds.
    """
    groups = parse_groups(raw)
    seen: set[str] = set()
    for index, group in enumerate(groups, start=1):
        for pid in group.params:
            if pid not in terms:
                raise CorrelatedSpecError(
                    f"correlated block {index}: {pid} has no term; give it one (op: set, "
                    "its low and high the truncation bounds)."
                )
            if terms[pid].op != "set" or pid in seen:
                raise CorrelatedSpecError(
                    f"correlated block {index}: {pid} must be an op: set term of one block "
                    "only (the joint draw is of its value)."
                )
            term_bounds(terms[pid].distribution)
            seen.add(pid)
    return groups

"""The Jacobian a trust-region stage steps with: fresh parameter columns, secant state blocks.

A forward-difference Jacobian costs one replay of the log per decision variable: ``n_params``
for the parameter columns and ``2 m`` (``m`` logged joints) for the segments' initial states,
which dominate on a robot with many logged joints (18 of 25 on the half-cheetah, 14 of 21
on the Franka). Each segment's state block depends on its own initial state only and
changes slowly once the fit is under way, so after the first call a block is kept and
Broyden-updated from the step just taken (as MINPACK's ``hybrj`` updates its Jacobian)
unless it failed to predict that step, and only the failed ones are differenced again. The
parameter columns are differenced at every point, so each step still follows the true
parameter gradient; the final uncertainty uses a fully differenced Jacobian.

``scipy.optimize.least_squares`` takes a Jacobian callable but has no secant option for part
of the columns, hence this class.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from numpy.typing import NDArray

from simreal.sysid.objective import Objective

# A segment's block is differenced afresh when its secant model failed to predict more than
# this share of the segment's last residual change.
REFRESH_MISMATCH = 0.5


class SecantJacobian:
    """A Jacobian callable for ``least_squares`` that differences stale state blocks only.

    The first call differences everything. Each later call differences the parameter
    columns, checks each segment's state block against the step just taken (how much of
    the segment's residual change it failed to predict, the parameter part predicted by
    the previous parameter columns), differences afresh the blocks that failed, and
    Broyden-updates the rest, all from one rollout call.

    Args:
        objective: The stage's objective.
        mismatch: The share of a segment's residual change a block may fail to predict and
            still be updated rather than differenced (0: always difference).
    """

    def __init__(self, objective: Objective, mismatch: float = REFRESH_MISMATCH) -> None:
        self.objective = objective
        self.mismatch = mismatch
        self.calls = 0
        self.blocks_differenced = 0
        self.columns = np.empty((0, 0))
        self._previous: tuple[NDArray, NDArray] | None = None
        self.blocks: list[NDArray] = []

    def __call__(self, x: NDArray) -> scipy.sparse.csr_matrix:
        """The Jacobian at ``x``."""
        objective = self.objective
        self.calls += 1
        base = objective.cached_residuals(x)
        n_seg = len(objective.segments)
        if self._previous is None or base is None:
            stale, updates = list(range(n_seg)), {}
        else:
            stale, updates = self._secant_updates(x, base)
        base, columns, fresh = objective.differences(x, stale)
        self.blocks_differenced += len(stale)
        self.blocks = [fresh[k] if k in fresh else updates.get(k, self.blocks[k])
                        for k in range(n_seg)]  # fmt: skip
        self.columns = columns
        self._previous = (np.array(x, copy=True), base)
        return objective.assemble(columns, self.blocks)

    def _secant_updates(self, x: NDArray, base: NDArray) -> tuple[list[int], dict[int, NDArray]]:
        """The segments to difference afresh, and Broyden updates of the others' blocks."""
        objective = self.objective
        x_old, base_old = self._previous
        explained = self.columns @ (x - x_old)[: objective.n_params]
        ds = objective.states(x) - objective.states(x_old)
        stale, updates = [], {}
        for k, block in enumerate(self.blocks):
            norm = float(ds[k] @ ds[k])
            if norm == 0.0:  # the step left this segment's state alone: nothing to learn
                continue
            rows = slice(objective.offsets[k], objective.offsets[k + 1])
            change = base[rows] - base_old[rows] - explained[rows]
            error = change - block @ ds[k]
            if np.linalg.norm(error) > self.mismatch * np.linalg.norm(change):
                stale.append(k)
            else:
                updates[k] = block + np.outer(error, ds[k] / norm)
        return stale, updates

"""How sure a fit is: standard errors, correlations, and what the data cannot determine.

From the Jacobian ``J`` at the solution, the parameters' information matrix with
the segments' initial states marginalised out (a Schur complement). With a
robust loss every row of ``J`` and of the residual carries the loss's weight
``w = rho'(f^2)`` (iteratively reweighted least squares), so that the variance
and the information are of one weighted problem: ``cov = s^2 (J^T W J)^-1``
with ``s^2 = sum(w f^2) / (rows - columns)``.

A direction of parameter space along which the scaled information is below
``DEGENERACY_TOLERANCE`` of its largest eigenvalue changes nothing in the fit:
every parameter in it gets an infinite standard error (the data do not determine
it, whatever a pseudo-inverse would say), and a warning names the combination.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from simreal.sysid.problem import FitParam

CORRELATION_WARNING = 0.98
RELATIVE_SE_WARNING = 0.5
DEGENERACY_TOLERANCE = 1e-8
# A parameter belongs to an undetermined direction if its share of it is at least this
# fraction of the largest share.
_INVOLVED = 0.15
LOSSES = ("linear", "soft_l1", "huber", "cauchy")


def loss_weights(residual: NDArray, loss: str) -> NDArray:
    """Per residual, ``rho'(f^2)`` of SciPy's loss (``f_scale = 1``): 1 for ``linear``."""
    z = residual**2
    if loss == "linear":
        return np.ones_like(z)
    if loss == "soft_l1":
        return 1.0 / np.sqrt(1.0 + z)
    if loss == "huber":
        return np.where(z <= 1.0, 1.0, 1.0 / np.sqrt(np.maximum(z, 1.0)))
    if loss == "cauchy":
        return 1.0 / (1.0 + z)
    raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}.")


def marginal_information(jac: NDArray, n_params: int) -> NDArray:
    """The parameters' information matrix with the other columns (initial states) marginalised."""
    jp, js = jac[:, :n_params], jac[:, n_params:]
    info = jp.T @ jp
    if js.shape[1]:
        coupling = jp.T @ js
        info = info - coupling @ np.linalg.pinv(js.T @ js, rcond=1e-12) @ coupling.T
    return 0.5 * (info + info.T)


def undetermined_directions(info: NDArray) -> list[NDArray[np.intp]]:
    """Per direction the data cannot see, the indices of the parameters in it."""
    diag = np.sqrt(np.clip(np.diag(info), 1e-300, None))
    eigenvalues, vectors = np.linalg.eigh(info / np.outer(diag, diag))
    top = max(float(eigenvalues[-1]), 1e-300)
    directions = []
    for value, vector in zip(eigenvalues, vectors.T, strict=True):
        if value <= DEGENERACY_TOLERANCE * top:
            share = np.abs(vector)
            directions.append(np.flatnonzero(share >= _INVOLVED * share.max()))
    return directions


def uncertainty(
    jac: NDArray, residual: NDArray, span: NDArray, theta: NDArray, params: Sequence[FitParam],
    loss: str = "linear",
) -> tuple[NDArray, NDArray, list[str]]:  # fmt: skip
    """Standard errors (physical units), correlation matrix and warnings of a fit.

    Args:
        jac: Unweighted Jacobian at the solution, parameter columns (unit-box
            coordinates) first, then the initial states.
        residual: Unweighted residuals at the solution.
        span: Each parameter's ``high - low`` (unit box to physical units).
        theta: Fitted values.
        params: The parameters.
        loss: The least-squares loss the fit used.

    Returns:
        ``(std_errors, correlation, warnings)``; an undetermined parameter's
        standard error is ``inf``.
    """
    weights = np.sqrt(loss_weights(residual, loss))
    jac, residual = jac * weights[:, None], residual * weights
    rows, columns = jac.shape
    n_params = len(params)
    variance = float(residual @ residual) / max(rows - columns, 1)
    info = marginal_information(jac, n_params)
    directions = undetermined_directions(info)
    diag = np.sqrt(np.clip(np.diag(info), 1e-300, None))
    cov = variance * np.linalg.pinv(info / np.outer(diag, diag), rcond=1e-12) / np.outer(diag, diag)
    cov_theta = cov * np.outer(span, span)
    std = np.sqrt(np.clip(np.diag(cov_theta), 0, None))
    for indices in directions:
        std[indices] = np.inf
    std[np.diag(info) <= 0] = np.inf
    finite = np.isfinite(std) & (std > 0)
    correlation = np.eye(n_params)
    idx = np.flatnonzero(finite)
    correlation[np.ix_(idx, idx)] = cov_theta[np.ix_(idx, idx)] / np.outer(std[idx], std[idx])
    np.fill_diagonal(correlation, 1.0)
    return std, correlation, _warnings(directions, std, correlation, theta, params)


def _warnings(
    directions: list[NDArray[np.intp]], std: NDArray, correlation: NDArray, theta: NDArray,
    params: Sequence[FitParam],
) -> list[str]:  # fmt: skip
    notes = []
    for indices in directions:
        involved = [params[i].id for i in indices]
        if len(involved) > 1:
            notes.append(
                f"the data do not separate {', '.join(involved)}: changing them together "
                "leaves the fit unchanged, so only their ratios (or sums) are identified; their "
                "standard errors are infinite and fit.yaml spreads them over their bounds; fix "
                "one of them to a measured value (e.g. weigh a mass) or record data that breaks "
                "the symmetry."
            )
        else:
            notes.append(f"{involved[0]} does not affect the recorded motion; fix it or excite it.")
    n = len(params)
    for i in range(n):
        for j in range(i + 1, n):
            if abs(correlation[i, j]) > CORRELATION_WARNING:
                notes.append(
                    f"{params[i].id} and {params[j].id} are nearly interchangeable in these data "
                    f"(correlation {correlation[i, j]:+.3f}); fix one of them or record an "
                    "excitation that separates them."
                )
    undetermined = {i for indices in directions for i in indices}
    for i, p in enumerate(params):
        if i not in undetermined and (
            not np.isfinite(std[i]) or std[i] > RELATIVE_SE_WARNING * max(abs(theta[i]), 1e-12)
        ):
            notes.append(
                f"{p.id} is not determined by the data (standard error {std[i]:.3g}); "
                "record more informative data or fix it."
            )
        margin = 1e-3 * (p.high - p.low)
        if theta[i] <= p.low + margin or theta[i] >= p.high - margin:
            notes.append(
                f"{p.id} ended on its bound ({theta[i]:.4g} in [{p.low:g}, {p.high:g}]); "
                "widen the bounds if that is not physical."
            )
    return notes

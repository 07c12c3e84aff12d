"""How sure a fit is: standard errors, correlations, and what the data cannot determine.

From the Jacobian ``J`` at the solution, the parameters' information matrix with
the segments' initial states marginalised out (a Schur complement). With a
robust loss (SciPy's ``rho`` of ``z = (f / c)^2``, ``c`` the fit's ``f_scale``)
the covariance is Huber's M-estimator form, where residual and Jacobian enter
through one influence function ``psi(f) = f rho'(z)``:
``cov = [sum(psi^2) / (rows - columns)] / mean(psi')^2 (J^T J)^-1``; for the
linear loss (``psi = f``) that is the usual ``s^2 (J^T J)^-1``.

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
_INVOLVED = 0.01
LOSSES = ("linear", "soft_l1", "huber", "cauchy")


def influence(residual: NDArray, loss: str, f_scale: float = 1.0) -> tuple[NDArray, NDArray]:
    """``psi(f) = f rho'(z)`` and its derivative ``rho'(z) + 2 z rho''(z)``, ``z = (f / c)^2``.

    Args:
        residual: Residuals ``f``.
        loss: A SciPy loss name (see ``LOSSES``).
        f_scale: The soft margin ``c`` between inliers and outliers.

    Returns:
        ``(psi, dpsi)`` per residual.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}.")
    z = (residual / f_scale) ** 2
    if loss == "linear":
        first, second = np.ones_like(z), np.zeros_like(z)
    elif loss == "soft_l1":
        first, second = (1.0 + z) ** -0.5, -0.5 * (1.0 + z) ** -1.5
    elif loss == "huber":
        outer = np.maximum(z, 1.0)
        first = np.where(z <= 1.0, 1.0, outer**-0.5)
        second = np.where(z <= 1.0, 0.0, -0.5 * outer**-1.5)
    else:  # cauchy
        first, second = 1.0 / (1.0 + z), -1.0 / (1.0 + z) ** 2
    return residual * first, first + 2.0 * z * second


def robust_scale(residual: NDArray) -> float:
    """A soft margin between inliers and outliers: 3 robust standard deviations (MAD)."""
    return max(3.0 * 1.4826 * float(np.median(np.abs(residual))), 1e-12)


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
    loss: str = "linear", f_scale: float = 1.0,
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
        f_scale: Its soft margin between inliers and outliers.

    Returns:
        ``(std_errors, correlation, warnings)``; an undetermined parameter's
        standard error is ``inf``.
    """
    psi, dpsi = influence(residual, loss, f_scale)
    rows, columns = jac.shape
    n_params = len(params)
    variance = float(psi @ psi) / max(rows - columns, 1) / max(float(np.mean(dpsi)), 1e-12) ** 2
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

"""Before a fit: which parameters this log can determine, from the Jacobian at the start.

The same information matrix a fit's uncertainty comes from (the Jacobian of the
normalised residuals, segments' initial states marginalised out), taken at the initial
guess instead of the solution, with residuals assumed to be white sensor noise of
``noise`` times each signal's range. Its inverse predicts each parameter's standard
error before any optimisation runs; a direction it does not see at all is a
combination the log cannot determine, whatever the fit does. ``noise`` is the residual
level to expect: the sensor noise where the log holds velocities, more where the fit
compares velocities differentiated from noisy positions; a fit's own ``rms_after``
gives it for a log like this one. Parameters predicted
to be weak get a hint of what excitation would inform them — rules of thumb from the
physics of each kind of parameter (a damping force grows with speed, a friction loss
shows at reversals, inertia with acceleration, a delay at sharp command changes),
not a computed design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.sysid.objective import Objective
from simreal.sysid.problem import FitParam, bind_problem
from simreal.sysid.recording import Recording
from simreal.sysid.replay import make_segments
from simreal.sysid.uncertainty import (
    CORRELATION_WARNING,
    DEGENERACY_TOLERANCE,
    marginal_information,
    undetermined_directions,
)

WEAK_RELATIVE_SE = 0.05  # above this predicted relative standard error, a parameter is weak
HINTS = (  # (substring of the parameter id, what would inform it)
    ("latency", "sharp command changes (steps, or content at the highest frequencies)"),
    ("frictionloss", "slow motions with many reversals of direction"),
    ("damping", "faster motion: more amplitude at higher frequencies"),
    ("kv", "faster motion: more amplitude at higher frequencies"),
    ("armature", "large accelerations: content at higher frequencies"),
    ("mass", "large accelerations and poses that load gravity differently"),
    ("kp", "commands far from the measured pose, across the actuator's range"),
    ("gear", "commands across the actuator's whole range"),
    ("bias.", "poses on both sides of the rest position"),
    ("friction", "motion that makes the contacts it acts on slide"),
    ("gain.", "large excursions of the joint"),
)


def hint_for(param_id: str) -> str:
    """What excitation would inform a parameter (a rule of thumb per kind)."""
    return next((hint for key, hint in HINTS if key in param_id), "a richer excitation")


@dataclass
class IdentifiabilityReport:
    """What a log can tell about the parameters, predicted at the initial guess.

    Attributes:
        params: The parameters.
        start: Their initial guesses.
        predicted_se: Predicted standard errors (``inf`` where undetermined).
        noise: The assumed residual level (normalised RMS: a fraction of each signal's range).
        undetermined: Groups of parameter ids the log cannot separate (or, alone, cannot see).
        correlated: ``(id, id, correlation)`` of pairs the log barely separates.
    """

    params: list[FitParam]
    start: NDArray[np.float64]
    predicted_se: NDArray[np.float64]
    noise: float
    undetermined: list[list[str]] = field(default_factory=list)
    correlated: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def relative_se(self) -> NDArray[np.float64]:
        """Predicted standard errors relative to the initial guess.

        Relative to 1% of the bounds' span instead where the guess is near 0: an offset
        starting at 0 has no scale of its own.
        """
        span = np.array([p.high - p.low for p in self.params])
        return self.predicted_se / np.maximum(np.abs(self.start), 1e-2 * span)

    @property
    def weak(self) -> list[str]:
        """Determined ids whose predicted relative standard error exceeds the threshold."""
        return [
            p.id for p, r in zip(self.params, self.relative_se, strict=True)
            if np.isfinite(r) and r > WEAK_RELATIVE_SE
        ]  # fmt: skip

    def lines(self) -> list[str]:
        """The report as printed: a table, then one sentence per problem and hint."""
        out = [
            f"identifiability at the initial guess (for residuals of {self.noise:.2%} of each "
            "signal's range):",
            f"{'parameter':34} {'initial':>11} {'predicted SE':>13} {'relative':>9}",
        ]
        rows = zip(self.params, self.start, self.predicted_se, self.relative_se, strict=True)
        for p, value, se, rel in rows:
            relative = f"{rel:.1%}" if np.isfinite(se) else "-"
            out.append(f"{p.id:34} {value:>11.4g} {se:>13.3g} {relative:>9}")
        for group in self.undetermined:
            if len(group) > 1:
                out.append(f"this log cannot separate {', '.join(group)}: only a combination of "
                           "them is determined; fix all but one to a measured value.")  # fmt: skip
            else:
                out.append(f"this log does not move {group[0]}: fix it, or record motion it "
                           f"acts on ({hint_for(group[0])}).")  # fmt: skip
        for a, b, r in self.correlated:
            out.append(f"{a} and {b} are barely separable in this log (correlation {r:+.3f}).")
        for pid in self.weak:
            out.append(f"{pid} is weakly determined; what would inform it: {hint_for(pid)}.")
        if not (self.undetermined or self.correlated or self.weak):
            out.append(f"every parameter is determined to within {WEAK_RELATIVE_SE:.0%}.")
        return out


def information(
    model: mujoco.MjModel, params: list[FitParam], recordings: list[Recording],
    segment_seconds: float = 4.0, n_threads: int = 1,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # fmt: skip
    """The parameters' information matrix at the initial guess (unit-box coordinates).

    Returns:
        ``(information, start)``: the matrix for unit residual noise, the initial states
        marginalised out, and the initial guesses it was taken at.
    """
    problem = bind_problem(model, params, recordings)
    objective = Objective(problem, make_segments(problem, segment_seconds), n_threads)
    jac = objective.jacobian(objective.initial_x(problem.start))
    return marginal_information(jac, len(params)), problem.start.copy()


def identifiability(
    model: mujoco.MjModel, params: list[FitParam], recordings: list[Recording],
    noise: float = 0.005, segment_seconds: float = 4.0, n_threads: int = 1,
) -> IdentifiabilityReport:  # fmt: skip
    """Predict what a fit of ``params`` to ``recordings`` can determine, before fitting.

    Args:
        model: The model.
        params: What to fit.
        recordings: The logs.
        noise: Residual level to expect, as a fraction of each signal's range.
        segment_seconds: Segment length of the replay (the fit's last stage, by default).
        n_threads: Rollout threads.

    Returns:
        The report.
    """
    info, start = information(model, params, recordings, segment_seconds, n_threads)
    n = len(params)
    span = np.array([p.high - p.low for p in params])
    # A parameter the log does not move at all is reported alone; the combinations the log
    # cannot separate are the null directions of the rest.
    diagonal = np.diag(info)
    alone = np.flatnonzero(diagonal <= DEGENERACY_TOLERANCE * max(float(diagonal.max()), 1e-300))
    rest = np.setdiff1d(np.arange(n), alone)
    directions = [np.array([i]) for i in alone] + [
        rest[group] for group in undetermined_directions(info[np.ix_(rest, rest)])
    ]
    diag = np.sqrt(np.clip(np.diag(info), 1e-300, None))
    scaled = np.linalg.pinv(info / np.outer(diag, diag), rcond=1e-12) / np.outer(diag, diag)
    cov = noise**2 * scaled * np.outer(span, span)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    for group in directions:
        se[group] = np.inf
    se[np.diag(info) <= 0] = np.inf
    correlated = []
    finite = np.flatnonzero(np.isfinite(se) & (se > 0))
    for a in finite:
        for b in finite[finite > a]:
            r = cov[a, b] / (se[a] * se[b])
            if abs(r) > CORRELATION_WARNING:
                correlated.append((params[a].id, params[b].id, float(r)))
    undetermined = [[params[i].id for i in group] for group in directions]
    return IdentifiabilityReport(list(params), start, se, noise, undetermined,
                                 correlated)  # fmt: skip

"""The fit: trust-region least squares over parameters and segment initial states.

Why not ``mujoco.sysid``'s optimizer as is: it rebuilds the model from an
``MjSpec`` for every parameter set and replays one open-loop trajectory per
recording. Here parameters are written into compiled model copies in place
(the domain-randomization vocabulary, no recompilation), recordings are cut
into segments that each restart from their own fitted initial state (not joined
by continuity constraints: see :mod:`simreal.sysid.objective`), the sensors'
offsets, gains and delay are fitted with the physics, the latency is a
continuous parameter (see :mod:`simreal.sysid.replay`), and all
finite-difference columns of the Jacobian run in one threaded rollout call.
The optimizer itself is SciPy's ``least_squares`` (``trf``, bounds, optional
robust loss), its trust-region steps solved by LSMR on the sparse Jacobian: each
segment's initial state moves only that segment's residuals, so the Jacobian is a
dense band of parameter columns beside a block diagonal, and a dense SVD of it per
step would cost the cube of the log's length (a fifth of a 20 s fit already).

Uncertainty (:mod:`simreal.sysid.uncertainty`): from the Jacobian at the
solution, marginalised over the initial states. Its parameter columns are a
central difference where the dynamics are smooth, and otherwise the entrywise
median of finite differences at several step sizes, both signs: contacts that
come and go make the dynamics kinked, and a single tiny difference across a
kink would report a far too small error.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import mujoco
import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from simreal.sysid.hold_check import HoldComparison, compare_holds
from simreal.sysid.misfit import Misfit, assess_misfit
from simreal.sysid.objective import EPS_PARAM, Objective
from simreal.sysid.problem import FitParam, bind_problem
from simreal.sysid.recording import Recording
from simreal.sysid.replay import make_segments
from simreal.sysid.uncertainty import LOSSES, robust_scale, uncertainty

# Steps (unit-box coordinates) of the finite differences whose median gives the
# parameter columns of the Jacobian behind the reported uncertainty.
UNCERTAINTY_STEPS = (1e-6, -1e-6, 1e-5, -1e-5, 1e-4, -1e-4)
# A stage stops when a step lowers the squared residual by less than this fraction: with
# sensor noise, far smaller changes are not significant, and chasing them to SciPy's 1e-8
# cost a 20 s reacher fit 36 more Jacobians.
FTOL = 1e-6
# The stages before the last only bring the next one a good start (it refits everything on
# longer segments), so they stop at a 1e-3 change: on the rig that halves their Jacobians and
# the fitted values move by 1e-5 relative.
EARLY_STAGE_FTOL = 1e-3


@dataclass
class FitResult:
    """What a fit found.

    Attributes:
        params: The fitted parameters (ids, bounds).
        values: Fitted values (physical units).
        std_errors: Standard errors (``inf`` where the data do not determine one).
        correlation: Correlation matrix of the parameters.
        initial: The starting values.
        rms_before: Normalised RMS residual at the initial guess (first stage).
        rms_after: Normalised RMS residual at the solution.
        warnings: Identifiability and bound warnings, one sentence each.
        seconds: Wall time of the fit.
        evaluations: Residual evaluations.
        traces: Per recording, ``time``, ``measured``, ``before`` and ``after``
            joint positions ``(T, m)`` and the ``joints`` names, for plots.
        domains: ``(n, 2)`` physical domain of each parameter, which bounds its interval
            (``None``: unbounded).
        holds: The residuals under held and interpolated commands, the loop delay
            re-fitted for each (:mod:`simreal.sysid.hold_check`).
        misfit: The fitted residual against each log's noise floor; on a mismatch the
            standard errors are already widened by its factor (:mod:`simreal.sysid.misfit`).
    """

    params: list[FitParam]
    values: NDArray[np.float64]
    std_errors: NDArray[np.float64]
    correlation: NDArray[np.float64]
    initial: NDArray[np.float64]
    rms_before: float
    rms_after: float
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    evaluations: int = 0
    traces: list[dict] = field(default_factory=list)
    domains: NDArray[np.float64] | None = None
    holds: HoldComparison | None = None
    misfit: Misfit | None = None

    @property
    def ci95(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The 95% intervals ``values -+ 1.96 SE``, clipped to each parameter's domain."""
        low, high = self.values - 1.96 * self.std_errors, self.values + 1.96 * self.std_errors
        if self.domains is None:
            return low, high
        return np.maximum(low, self.domains[:, 0]), np.minimum(high, self.domains[:, 1])

    def as_dict(self) -> dict[str, float]:
        """``{param id: fitted value}``."""
        return {p.id: float(v) for p, v in zip(self.params, self.values, strict=True)}


def global_search(
    objective: Objective, start: NDArray, seed: int = 0, max_evaluations: int | None = None
) -> NDArray:
    """CMA-ES over the parameters (initial states held at the measurements).

    For multi-modal problems, before the local least-squares stages. Each CMA-ES
    generation is simulated in one rollout call. Uses the ``cma`` package.

    Returns:
        The best parameter values found (physical units).
    """
    import cma

    n_params = objective.n_params
    x_start = objective.initial_x(start)
    states = objective.states(x_start)
    options = {
        "bounds": [0.0, 1.0],
        "seed": seed + 1,
        "verbose": -9,
        "maxfevals": max_evaluations or 150 * n_params,
    }
    search = cma.CMAEvolutionStrategy(x_start[:n_params], 0.3, options)
    while not search.stop():
        candidates = search.ask()
        settings = [objective.setting(z) for z in candidates]
        jobs = [job for setting in settings for job in objective.jobs(setting, states)]
        sims = objective.replayer.simulate(jobs)
        n_seg = len(objective.segments)
        costs = [
            sum(
                float(np.sum(objective.segment_residual(k, *sims[c * n_seg + k], setting) ** 2))
                for k in range(n_seg)
            )
            for c, setting in enumerate(settings)
        ]
        search.tell(candidates, costs)
    return objective.values(np.concatenate([search.result.xbest, states.ravel()]))


def fit(
    model: mujoco.MjModel,
    params: Sequence[FitParam],
    recordings: Sequence[Recording],
    segment_seconds: Sequence[float] = (1.0, 4.0),
    loss: str = "linear",
    method: str = "least_squares",
    n_threads: int | None = None,
    max_iterations: int = 50,
    progress: Callable[[str], None] | None = print,
) -> FitResult:
    """Fit parameters, sensors and latency to recordings by segmented least squares.

    Args:
        model: The model; its current values are the defaults of the initial guesses.
        params: What to fit, with bounds (:func:`simreal.sysid.problem.load_params`).
        recordings: One or more recordings.
        segment_seconds: Segment lengths of the continuation stages, short to long;
            each stage starts from the previous stage's parameters.
        loss: ``"linear"`` or a robust SciPy loss (``"soft_l1"``, ``"huber"``, ``"cauchy"``).
        method: ``"least_squares"`` (trust region from the initial guess) or ``"cmaes"``
            (a CMA-ES global search over the bounds first, for multi-modal problems).
        n_threads: Rollout threads (default: all cores).
        max_iterations: Jacobian evaluations per stage at most.
        progress: Receives one line per stage (``None`` for silence).

    Returns:
        The fit.
    """
    started = time.perf_counter()
    if method not in ("least_squares", "cmaes"):
        raise ValueError(f"method must be 'least_squares' or 'cmaes', got {method!r}.")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}.")
    problem = bind_problem(model, params, recordings)
    n_threads = n_threads or os.cpu_count() or 1
    theta = problem.start.copy()
    evaluations = 0
    rms_start = None
    if method == "cmaes":
        first = Objective(problem, make_segments(problem, segment_seconds[0]), n_threads)
        rms_start = float(np.sqrt(np.mean(first.residuals(first.initial_x(theta)) ** 2)))
        theta = global_search(first, theta)
        evaluations += first.evaluations
        if progress is not None:
            shown = ", ".join(f"{p.id}={v:.4g}" for p, v in zip(problem.params, theta, strict=True))
            progress(f"CMA-ES global search: {shown}")
    rms_before = rms_after = float("nan")
    objective = None
    x = None
    for stage, seconds in enumerate(segment_seconds, start=1):
        segments = make_segments(problem, seconds)
        previous = objective
        objective = Objective(problem, segments, n_threads)
        x0 = objective.initial_x(theta)
        if previous is not None:  # the last stage's fitted states, not the noisy readings
            x0 = carried_states(previous, x, objective, x0)
        r0 = objective.residuals(x0)
        # A robust loss's margin between inliers and outliers, from the residuals at the
        # stage's start (noise plus what the fit is still to explain).
        f_scale = 1.0 if loss == "linear" else robust_scale(r0)
        lower = np.concatenate(
            [np.zeros(objective.n_params), np.full(x0.size - objective.n_params, -np.inf)]
        )
        upper = np.concatenate(
            [np.ones(objective.n_params), np.full(x0.size - objective.n_params, np.inf)]
        )
        result = scipy.optimize.least_squares(
            objective.residuals,
            x0,
            jac=objective.sparse_jacobian,
            tr_solver="lsmr",
            bounds=(lower, upper),
            x_scale="jac",
            loss=loss,
            f_scale=f_scale,
            method="trf",
            max_nfev=max_iterations,
            ftol=FTOL if stage == len(segment_seconds) else EARLY_STAGE_FTOL,
        )
        x = result.x
        theta = objective.values(x)
        evaluations += objective.evaluations
        if stage == 1:
            rms_before = rms_start if rms_start is not None else float(np.sqrt(np.mean(r0**2)))
        rms_after = float(np.sqrt(np.mean(result.fun**2)))
        if progress is not None:
            shown = ", ".join(f"{p.id}={v:.4g}" for p, v in zip(problem.params, theta, strict=True))
            progress(
                f"stage {stage}/{len(segment_seconds)}: {len(segments)} segments of {seconds:g} s, "
                f"rms {rms_before:.3g} -> {rms_after:.3g} in {result.nfev} evaluations; {shown}"
            )
    # The unweighted Jacobian at the solution: least_squares returns it so for the linear
    # loss (evaluated at its last accepted point, the solution); a robust loss rescales its
    # rows, so it is differenced afresh. Its parameter columns are re-estimated robustly
    # (contacts make the dynamics kinked, and one finite difference across a kink is far
    # off), reusing its forward differences as one of the steps. The loss's weights are
    # applied once, in uncertainty().
    if loss == "linear":
        jac = result.jac.toarray()
        forward = jac[:, : objective.n_params].copy()
    else:
        _, forward, blocks = objective.differences(x)
        jac = objective.assemble(forward, blocks).toarray()
    jac[:, : objective.n_params] = objective.parameter_jacobian(
        x, UNCERTAINTY_STEPS, known={EPS_PARAM: forward}
    )
    std_errors, correlation, notes = uncertainty(
        jac, result.fun, objective.span, theta, problem.params, loss, f_scale
    )
    misfit = assess_misfit(objective, x)
    std_errors = std_errors * misfit.inflation
    if misfit.warning() is not None:
        notes.append(misfit.warning())
    traces = _traces(objective, objective.initial_x(problem.start), x)
    holds = compare_holds(objective, x, jac)
    if holds.warning() is not None:
        notes.append(holds.warning())
    return FitResult(
        list(problem.params),
        theta,
        std_errors,
        correlation,
        problem.start.copy(),
        rms_before,
        rms_after,
        notes,
        time.perf_counter() - started,
        evaluations,
        traces,
        problem.domains,
        holds,
        misfit,
    )


def carried_states(previous: Objective, x_previous: NDArray, objective: Objective,
                   x0: NDArray) -> NDArray:  # fmt: skip
    """``x0`` with the fitted initial states of a previous stage where segments start alike.

    A segment that starts where one of the previous stage's segments started takes that
    segment's fitted initial state (denoised by the fit) instead of the readings.
    """
    fitted = {(seg.recording, int(seg.samples[0])): previous.states(x_previous)[k]
              for k, seg in enumerate(previous.segments)}  # fmt: skip
    out = x0.copy()
    states = out[objective.n_params :].reshape(len(objective.segments), -1)
    for k, seg in enumerate(objective.segments):
        start = fitted.get((seg.recording, int(seg.samples[0])))
        if start is not None:
            states[k] = start
    return out


def _traces(objective: Objective, x_before: NDArray, x_after: NDArray) -> list[dict]:
    """Measured and simulated positions per recording, before and after the fit."""
    problem = objective.problem
    simulated = {}
    for label, x in (("before", x_before), ("after", x_after)):
        simulated[label] = objective.simulate(x)
    traces = []
    for r, rec in enumerate(problem.recordings):
        trace = {
            "time": rec.time,
            "measured": problem.measured(rec),
            "joints": problem.joint_names,
            "source": rec.source,
            "measurement": rec.measurement,
        }
        for label, sims in simulated.items():
            out = np.full_like(trace["measured"], np.nan)
            for k, seg in enumerate(objective.segments):
                if seg.recording == r:
                    out[seg.samples] = sims[k][0]
            trace[label] = out
        traces.append(trace)
    return traces

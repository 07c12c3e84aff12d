"""The fit: trust-region least squares over parameters and segment initial states.

Why not ``mujoco.sysid``'s optimizer as is: it rebuilds the model from an
``MjSpec`` for every parameter set and replays one open-loop trajectory per
recording. Here parameters are written into compiled model copies in place
(the domain-randomization vocabulary, no recompilation), recordings are cut
into segments with their own fitted initial states (multiple shooting, so
unstable or chaotic systems and poor initial guesses do not trap the fit), the
latency is a continuous parameter (see :mod:`simreal.sysid.replay`), and all
finite-difference columns of the Jacobian run in one threaded rollout call.
The optimizer itself is SciPy's ``least_squares`` (``trf``, bounds, optional
robust loss).

Uncertainty: from the Jacobian at the solution, ``cov = s^2 (J^T J)^-1`` with
``s^2`` the residual variance, marginalised over the initial states. Its
parameter columns are a central difference where the dynamics are smooth, and
otherwise the entrywise median of finite differences at several step sizes, both
signs: contacts that come and go make the dynamics kinked, and a single tiny
difference across a kink would report a far too small error. Standard
errors, 95% intervals (+-1.96 SE) and the correlation matrix follow; a pair of
parameters with |correlation| > 0.98, or a parameter whose standard error
exceeds half its value, is reported as not identified by the data.
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

from simreal.sysid.problem import FitParam, bind_problem
from simreal.sysid.recording import Recording
from simreal.sysid.replay import Replayer, make_segments, recording_velocity

CORRELATION_WARNING = 0.98
RELATIVE_SE_WARNING = 0.5
DEGENERACY_TOLERANCE = 1e-8
_EPS_PARAM = 1e-6
_EPS_STATE = 1e-7
# Steps (unit-box coordinates) of the finite differences whose median gives the
# parameter columns of the Jacobian behind the reported uncertainty.
_UNCERTAINTY_STEPS = (1e-6, -1e-6, 1e-5, -1e-5, 1e-4, -1e-4)
# The forward/backward pair tried first, and how far apart (relative, per column) the two may
# be for the dynamics to count as smooth there (then the central difference is used).
_SMOOTHNESS_STEPS = (1e-5, -1e-5)
_SMOOTHNESS_TOLERANCE = 0.05


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

    @property
    def ci95(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The 95% intervals ``values -+ 1.96 SE``."""
        return self.values - 1.96 * self.std_errors, self.values + 1.96 * self.std_errors

    def as_dict(self) -> dict[str, float]:
        """``{param id: fitted value}``."""
        return {p.id: float(v) for p, v in zip(self.params, self.values, strict=True)}


class _Objective:
    """Residuals and their finite-difference Jacobian for one segmentation."""

    def __init__(self, problem, segments: list, n_threads: int) -> None:  # noqa: ANN001
        self.problem = problem
        self.segments = segments
        self.replayer = Replayer(problem, segments, n_threads)
        self.n_params = len(problem.params)
        self.m = len(problem.joint_names)
        self.low = np.array([p.low for p in problem.params])
        self.span = np.array([p.high - p.low for p in problem.params])
        self.latency = problem.latency_index
        measured = [problem.measured(r) for r in problem.recordings]
        velocities = [recording_velocity(r, problem.joint_names) for r in problem.recordings]
        self.has_qvel = all(
            all(n in r.qvel for n in problem.joint_names) for r in problem.recordings
        )
        every_q = np.vstack(measured)
        self.q_scale = np.maximum(np.ptp(every_q, axis=0), 1e-6)
        self.v_scale = np.maximum(np.ptp(np.vstack(velocities), axis=0), 1e-6)
        self.q_meas = [measured[s.recording][s.samples] for s in segments]
        self.v_meas = [velocities[s.recording][s.samples] for s in segments]
        self.evaluations = 0

    # decision vector: [z (n_params, in [0, 1])] + per segment [q0 (m), v0 (m)]
    def initial_x(self, start: NDArray) -> NDArray:
        z = (start - self.low) / self.span
        states = [
            np.concatenate([q[0], v[0]]) for q, v in zip(self.q_meas, self.v_meas, strict=True)
        ]
        return np.concatenate([z, *states])

    def values(self, x: NDArray) -> NDArray:
        return self.low + self.span * x[: self.n_params]

    def _split(self, x: NDArray) -> tuple[NDArray, NDArray, float]:
        theta = self.values(x)
        delay = float(theta[self.latency]) if self.latency is not None else 0.0
        model_values = theta.copy()
        if self.latency is not None:
            model_values[self.latency] = 0.0
        return model_values, x[self.n_params :].reshape(len(self.segments), 2 * self.m), delay

    def _segment_residual(self, k: int, q: NDArray, v: NDArray) -> NDArray:
        parts = [((q - self.q_meas[k]) / self.q_scale).ravel()]
        if self.has_qvel:
            parts.append(((v - self.v_meas[k]) / self.v_scale).ravel())
        return np.concatenate(parts)

    def residuals(self, x: NDArray) -> NDArray:
        self.evaluations += 1
        values, states, delay = self._split(x)
        jobs = [
            (k, values, states[k, : self.m], states[k, self.m :], delay)
            for k in range(len(self.segments))
        ]
        sims = self.replayer.simulate(jobs)
        return np.concatenate([self._segment_residual(k, q, v) for k, (q, v) in enumerate(sims)])

    def parameter_jacobian(self, x: NDArray, steps: Sequence[float]) -> NDArray:
        """Parameter columns of the Jacobian, robust to kinks in the dynamics.

        A forward and a backward difference first: where they agree (smooth
        dynamics), their mean, a central difference. Where they do not, one
        finite difference per step in ``steps`` (signed, in the unit-box
        coordinates, turned around at a bound), and per entry the median of them:
        a contact that appears or vanishes between a point and its neighbour makes
        one difference huge; the median keeps the typical slope, which is what the
        uncertainty of a fit to noisy data needs.
        """
        pair = self._parameter_differences(x, _SMOOTHNESS_STEPS)
        spread = np.linalg.norm(pair[0] - pair[1], axis=0)
        scale = np.maximum(np.linalg.norm(pair, axis=1).max(axis=0), 1e-300)
        if np.all(spread <= _SMOOTHNESS_TOLERANCE * scale):
            return pair.mean(axis=0)
        rest = [s for s in steps if s not in _SMOOTHNESS_STEPS]
        return np.median(np.concatenate([pair, self._parameter_differences(x, rest)]), axis=0)

    def _parameter_differences(self, x: NDArray, steps: Sequence[float]) -> NDArray:
        """One finite-difference estimate of the parameter columns per step: ``(steps, m, n)``."""
        values, states, delay = self._split(x)
        n_seg, n_par, m = len(self.segments), self.n_params, self.m
        jobs = [(k, values, states[k, :m], states[k, m:], delay) for k in range(n_seg)]
        columns = []
        for step in steps:
            for i in range(n_par):
                z = x[:n_par].copy()
                z[i] = z[i] + step if 0.0 <= z[i] + step <= 1.0 else z[i] - step
                theta = self.low + self.span * z
                d = float(theta[self.latency]) if self.latency is not None else 0.0
                model_values = theta.copy()
                if self.latency is not None:
                    model_values[self.latency] = 0.0
                for k in range(n_seg):
                    jobs.append((k, model_values, states[k, :m], states[k, m:], d))
                columns.append((i, z[i] - x[i]))
        sims = self.replayer.simulate(jobs)
        base = np.concatenate([self._segment_residual(k, *sims[k]) for k in range(n_seg)])
        estimates = np.zeros((len(steps), base.size, n_par))
        for c, (i, step) in enumerate(columns):
            chunk = sims[n_seg + c * n_seg : n_seg + (c + 1) * n_seg]
            moved = np.concatenate([self._segment_residual(k, *s) for k, s in enumerate(chunk)])
            estimates[c // n_par, :, i] = (moved - base) / step
        return estimates

    def jacobian(self, x: NDArray) -> NDArray:
        values, states, delay = self._split(x)
        n_seg, n_par, m = len(self.segments), self.n_params, self.m
        jobs, columns = [], []
        for k in range(n_seg):
            jobs.append((k, values, states[k, :m], states[k, m:], delay))
            columns.append(None)
        for i in range(n_par):
            step = _EPS_PARAM
            z = x[:n_par].copy()
            z[i] = z[i] + step if z[i] + step <= 1.0 else z[i] - step
            theta = self.low + self.span * z
            d = float(theta[self.latency]) if self.latency is not None else 0.0
            model_values = theta.copy()
            if self.latency is not None:
                model_values[self.latency] = 0.0
            for k in range(n_seg):
                jobs.append((k, model_values, states[k, :m], states[k, m:], d))
                columns.append((i, k, z[i] - x[i]))
        scales = np.concatenate([self.q_scale, self.v_scale])
        for k in range(n_seg):
            for j in range(2 * m):
                step = _EPS_STATE * max(1.0, scales[j])
                perturbed = states[k].copy()
                perturbed[j] += step
                jobs.append((k, values, perturbed[:m], perturbed[m:], delay))
                columns.append((n_par + 2 * m * k + j, k, step))
        sims = self.replayer.simulate(jobs)
        base = [self._segment_residual(k, *sims[k]) for k in range(n_seg)]
        offsets = np.concatenate([[0], np.cumsum([b.size for b in base])])
        jac = np.zeros((offsets[-1], x.size))
        for (col, k, step), sim in zip(columns[n_seg:], sims[n_seg:], strict=True):
            jac[offsets[k] : offsets[k + 1], col] = (
                self._segment_residual(k, *sim) - base[k]
            ) / step
        return jac


def global_search(
    objective: _Objective, start: NDArray, seed: int = 0, max_evaluations: int | None = None
) -> NDArray:
    """CMA-ES over the parameters (initial states held at the measurements).

    For multi-modal problems, before the local least-squares stages. Each CMA-ES
    generation is simulated in one rollout call. Uses the ``cma`` package.

    Returns:
        The best parameter values found (physical units).
    """
    import cma

    n_params, m = objective.n_params, objective.m
    x_start = objective.initial_x(start)
    states = x_start[n_params:].reshape(len(objective.segments), 2 * m)
    options = {
        "bounds": [0.0, 1.0],
        "seed": seed + 1,
        "verbose": -9,
        "maxfevals": max_evaluations or 150 * n_params,
    }
    search = cma.CMAEvolutionStrategy(x_start[:n_params], 0.3, options)
    while not search.stop():
        candidates = search.ask()
        jobs, owners = [], []
        for c, z in enumerate(candidates):
            values, _, delay = objective._split(np.concatenate([z, states.ravel()]))  # noqa: SLF001
            for k in range(len(objective.segments)):
                jobs.append((k, values, states[k, :m], states[k, m:], delay))
                owners.append(c)
        sims = objective.replayer.simulate(jobs)
        costs = np.zeros(len(candidates))
        for (k, *_), owner, sim in zip(jobs, owners, sims, strict=True):
            costs[owner] += float(np.sum(objective._segment_residual(k, *sim) ** 2))  # noqa: SLF001
        search.tell(candidates, costs.tolist())
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
    """Fit parameters (and latency) to recordings by multiple-shooting least squares.

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
    problem = bind_problem(model, params, recordings)
    n_threads = n_threads or os.cpu_count() or 1
    theta = problem.start.copy()
    evaluations = 0
    rms_start = None
    if method == "cmaes":
        first = _Objective(problem, make_segments(problem, segment_seconds[0]), n_threads)
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
        objective = _Objective(problem, segments, n_threads)
        x0 = objective.initial_x(theta)
        r0 = objective.residuals(x0)
        lower = np.concatenate(
            [np.zeros(objective.n_params), np.full(x0.size - objective.n_params, -np.inf)]
        )
        upper = np.concatenate(
            [np.ones(objective.n_params), np.full(x0.size - objective.n_params, np.inf)]
        )
        result = scipy.optimize.least_squares(
            objective.residuals,
            x0,
            jac=objective.jacobian,
            bounds=(lower, upper),
            x_scale="jac",
            loss=loss,
            method="trf",
            max_nfev=max_iterations,
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
    # least_squares returns the Jacobian at the solution (for robust losses, the one it
    # weighted); its parameter columns are re-estimated robustly (contacts make the
    # dynamics kinked, and one finite difference across a kink is far off).
    jac = np.array(result.jac)
    robust = objective.parameter_jacobian(x, _UNCERTAINTY_STEPS)
    if loss != "linear":  # weight the rows as least_squares did: unweighted vs weighted rows
        plain = np.linalg.norm(objective.jacobian(x), axis=1)
        weights = np.where(plain > 0, np.linalg.norm(jac, axis=1) / np.maximum(plain, 1e-300), 1)
        robust = robust * weights[:, None]
    jac[:, : objective.n_params] = robust
    std_errors, correlation, notes = _uncertainty(objective, jac, result.fun, theta, problem.params)
    traces = _traces(objective, objective.initial_x(problem.start), x)
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
    )


def _traces(objective: _Objective, x_before: NDArray, x_after: NDArray) -> list[dict]:
    """Measured and simulated positions per recording, before and after the fit."""
    problem = objective.problem
    simulated = {}
    for label, x in (("before", x_before), ("after", x_after)):
        values, states, delay = objective._split(x)  # noqa: SLF001
        m = objective.m
        jobs = [
            (k, values, states[k, :m], states[k, m:], delay) for k in range(len(objective.segments))
        ]
        simulated[label] = objective.replayer.simulate(jobs)
    traces = []
    for r, rec in enumerate(problem.recordings):
        trace = {
            "time": rec.time,
            "measured": problem.measured(rec),
            "joints": problem.joint_names,
            "source": rec.source,
        }
        for label, sims in simulated.items():
            out = np.full_like(trace["measured"], np.nan)
            for k, seg in enumerate(objective.segments):
                if seg.recording == r:
                    out[seg.samples] = sims[k][0]
            trace[label] = out
        traces.append(trace)
    return traces


def _degeneracies(jac: NDArray, n_params: int, params: list[FitParam]) -> list[str]:
    """Directions in parameter space that the data cannot see, as sentences.

    The parameters' information matrix, with the initial states marginalised
    out (Schur complement), is scaled to unit diagonal; an eigenvalue below
    ``DEGENERACY_TOLERANCE`` of the largest marks a combination of parameters
    that changes nothing in the fit — e.g. every mass, damping and gain of a
    pendulum scaled together, when nothing in the data fixes the scale.
    """
    jp, js = jac[:, :n_params], jac[:, n_params:]
    info = jp.T @ jp
    if js.shape[1]:
        coupling = jp.T @ js
        info = info - coupling @ np.linalg.pinv(js.T @ js, rcond=1e-12) @ coupling.T
    diag = np.sqrt(np.clip(np.diag(info), 1e-300, None))
    scaled = info / np.outer(diag, diag)
    eigenvalues, vectors = np.linalg.eigh(scaled)
    notes = []
    top = max(float(eigenvalues[-1]), 1e-300)
    for value, vector in zip(eigenvalues, vectors.T, strict=True):
        if value > DEGENERACY_TOLERANCE * top:
            continue
        involved = [
            params[i].id for i in np.flatnonzero(np.abs(vector) > 0.15 * np.abs(vector).max())
        ]
        if len(involved) > 1:
            notes.append(
                f"the data do not separate {', '.join(involved)}: changing them together "
                "leaves the fit unchanged, so only their ratios are identified; fix one of them "
                "to a measured value (e.g. weigh a mass) or record data that breaks the symmetry."
            )
        elif involved:
            notes.append(f"{involved[0]} does not affect the recorded motion; fix it or excite it.")
    return notes


def _uncertainty(
    objective: _Objective, jac: NDArray, residual: NDArray, theta: NDArray, params: list[FitParam]
) -> tuple[NDArray, NDArray, list[str]]:
    m, n = jac.shape
    dof = max(m - n, 1)
    variance = float(residual @ residual) / dof
    info = jac.T @ jac
    cov = variance * np.linalg.pinv(info, rcond=1e-12)
    n_params = objective.n_params
    cov_theta = cov[:n_params, :n_params] * np.outer(objective.span, objective.span)
    std = np.sqrt(np.clip(np.diag(cov_theta), 0, None))
    rank_deficient = np.linalg.matrix_rank(info) < n
    for i in range(n_params):
        if rank_deficient and std[i] == 0:
            std[i] = np.inf
    finite = np.isfinite(std) & (std > 0)
    correlation = np.eye(n_params)
    idx = np.flatnonzero(finite)
    correlation[np.ix_(idx, idx)] = cov_theta[np.ix_(idx, idx)] / np.outer(std[idx], std[idx])
    np.fill_diagonal(correlation, 1.0)
    notes = _degeneracies(jac, n_params, params)
    for i in range(n_params):
        for j in range(i + 1, n_params):
            if abs(correlation[i, j]) > CORRELATION_WARNING:
                notes.append(
                    f"{params[i].id} and {params[j].id} are nearly interchangeable in these data "
                    f"(correlation {correlation[i, j]:+.3f}); fix one of them or record an "
                    "excitation that separates them."
                )
    for i, p in enumerate(params):
        if not np.isfinite(std[i]) or std[i] > RELATIVE_SE_WARNING * max(abs(theta[i]), 1e-12):
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
    return std, correlation, notes

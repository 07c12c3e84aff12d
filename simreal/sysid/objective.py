"""The least-squares objective: residuals of segmented replays and their Jacobian.

The decision vector is the parameters in unit-box coordinates (``z`` in
``[0, 1]``, physical value ``low + span * z``) followed by every segment's
initial joint positions and velocities. Each segment replays the logged
controls from its own initial state; segments are not joined to one another
(no continuity constraints), so a poor guess or an unstable plant cannot drag a
long open-loop replay away.

The sensors are modelled with the physics: the simulated joint positions pass
through each joint's ``gain`` and ``bias`` (``measured = gain * q + bias``,
velocities ``gain * qdot``), and the command latency plus the sensor delay shift
the replay against the log. Residuals are normalised by each signal's range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from numpy.typing import NDArray

from simreal.sysid.problem import BoundProblem
from simreal.sysid.replay import Replayer, Segment, recording_velocity

EPS_PARAM = 1e-6
EPS_STATE = 1e-7
# The forward/backward pair tried first, and how far apart (relative, per column) the two may
# be for the dynamics to count as smooth there (then the central difference is used).
SMOOTHNESS_STEPS = (1e-5, -1e-5)
SMOOTHNESS_TOLERANCE = 0.05


@dataclass(frozen=True)
class Setting:
    """One parameter set, split by where each part acts.

    Attributes:
        model_values: Every parameter's value, non-model ones zeroed (for the model cache).
        delay: Command latency plus sensor delay, seconds.
        gain: Per measured joint, the sensor gain.
        bias: Per measured joint, the sensor offset.
    """

    model_values: NDArray[np.float64]
    delay: float
    gain: NDArray[np.float64]
    bias: NDArray[np.float64]


class Objective:
    """Residuals and their finite-difference Jacobian for one segmentation.

    Args:
        problem: The bound problem.
        segments: The segments of this stage.
        n_threads: Rollout threads.
    """

    def __init__(self, problem: BoundProblem, segments: list[Segment], n_threads: int) -> None:
        self.problem = problem
        self.segments = segments
        self.replayer = Replayer(problem, segments, n_threads)
        self.n_params = len(problem.params)
        self.m = len(problem.joint_names)
        self.low = np.array([p.low for p in problem.params])
        self.span = np.array([p.high - p.low for p in problem.params])
        measured = [problem.measured(r) for r in problem.recordings]
        velocities = [recording_velocity(r, problem.joint_names) for r in problem.recordings]
        self.has_qvel = all(
            all(n in r.qvel for n in problem.joint_names) for r in problem.recordings
        )
        self.q_scale = np.maximum(np.ptp(np.vstack(measured), axis=0), 1e-6)
        self.v_scale = np.maximum(np.ptp(np.vstack(velocities), axis=0), 1e-6)
        self.q_meas = [measured[s.recording][s.samples] for s in segments]
        self.v_meas = [velocities[s.recording][s.samples] for s in segments]
        rows_per_sample = self.m * (2 if self.has_qvel else 1)
        self.offsets = np.concatenate(
            [[0], np.cumsum([rows_per_sample * q.shape[0] for q in self.q_meas])]
        )
        self.evaluations = 0
        self._last: tuple[NDArray, list, NDArray] | None = None

    def initial_x(self, start: NDArray) -> NDArray:
        """The decision vector at parameters ``start``, segment states from the measurements.

        Each segment's initial state is its first measurement seen back through
        the sensor model at ``start`` (``(measured - bias) / gain``).
        """
        z = (start - self.low) / self.span
        gain, bias = self.problem.sensor(start)
        states = [
            np.concatenate([(q[0] - bias) / gain, v[0] / gain])
            for q, v in zip(self.q_meas, self.v_meas, strict=True)
        ]
        return np.concatenate([z, *states])

    def values(self, x: NDArray) -> NDArray:
        """Physical parameter values of a decision vector."""
        return self.low + self.span * x[: self.n_params]

    def setting(self, z: NDArray) -> Setting:
        """Split unit-box parameters into model values, loop delay and sensor model."""
        theta = self.low + self.span * np.asarray(z)[: self.n_params]
        gain, bias = self.problem.sensor(theta)
        model_values = np.where(self.problem.model_mask, theta, 0.0)
        return Setting(model_values, self.problem.loop_delay(theta), gain, bias)

    def states(self, x: NDArray) -> NDArray:
        """``(segments, 2 m)`` initial states of a decision vector."""
        return x[self.n_params :].reshape(len(self.segments), 2 * self.m)

    def jobs(self, setting: Setting, states: NDArray) -> list[tuple]:
        """Replay jobs of every segment at one setting."""
        m = self.m
        return [
            (k, setting.model_values, states[k, :m], states[k, m:], setting.delay)
            for k in range(len(self.segments))
        ]

    def segment_residual(self, k: int, q: NDArray, v: NDArray, setting: Setting) -> NDArray:
        """Normalised residuals of segment ``k``'s simulated joints seen through the sensors."""
        parts = [((setting.gain * q + setting.bias - self.q_meas[k]) / self.q_scale).ravel()]
        if self.has_qvel:
            parts.append(((setting.gain * v - self.v_meas[k]) / self.v_scale).ravel())
        return np.concatenate(parts)

    def residuals(self, x: NDArray) -> NDArray:
        """The residual vector at ``x``."""
        self.evaluations += 1
        setting, states = self.setting(x), self.states(x)
        sims = self.replayer.simulate(self.jobs(setting, states))
        r = np.concatenate(
            [self.segment_residual(k, q, v, setting) for k, (q, v) in enumerate(sims)]
        )
        # A copy: SciPy may scale the array it is handed in place (robust losses).
        self._last = (np.array(x, copy=True), self.replayer.signals, r.copy())
        return r

    def simulate(self, x: NDArray) -> list[tuple[NDArray, NDArray]]:
        """Per segment, the simulated positions and velocities as the sensors report them."""
        setting, states = self.setting(x), self.states(x)
        sims = self.replayer.simulate(self.jobs(setting, states))
        return [(setting.gain * q + setting.bias, setting.gain * v) for q, v in sims]

    def parameter_jacobian(
        self, x: NDArray, steps: Sequence[float], known: dict[float, NDArray] | None = None
    ) -> NDArray:
        """Parameter columns of the Jacobian, robust to kinks in the dynamics.

        A forward and a backward difference first: where they agree (smooth
        dynamics), their mean, a central difference. Where they do not, one
        finite difference per step in ``steps`` (signed, in the unit-box
        coordinates, turned around at a bound), and per entry the median of them:
        a contact that appears or vanishes between a point and its neighbour makes
        one difference huge; the median keeps the typical slope, which is what the
        uncertainty of a fit to noisy data needs. ``known`` holds estimates already
        made at ``x`` (``{step: (rows, n_params) columns}``), which are not redone.
        """
        known = dict(known or {})
        pair = self._estimates(x, SMOOTHNESS_STEPS, known)
        spread = np.linalg.norm(pair[0] - pair[1], axis=0)
        scale = np.maximum(np.linalg.norm(pair, axis=1).max(axis=0), 1e-300)
        if np.all(spread <= SMOOTHNESS_TOLERANCE * scale):
            return pair.mean(axis=0)
        rest = [s for s in steps if s not in SMOOTHNESS_STEPS]
        return np.median(np.concatenate([pair, self._estimates(x, rest, known)]), axis=0)

    def _estimates(self, x: NDArray, steps: Sequence[float], known: dict) -> NDArray:
        """Per step, the parameter columns (from ``known`` where there, else differenced)."""
        missing = [s for s in steps if s not in known]
        if missing:
            known.update(zip(missing, self._parameter_differences(x, missing), strict=True))
        return np.stack([known[s] for s in steps])

    def _moved(self, x: NDArray, i: int, step: float) -> tuple[NDArray, float]:
        """Unit-box parameters with parameter ``i`` moved by ``step`` (turned at a bound)."""
        z = x[: self.n_params].copy()
        z[i] = z[i] + step if 0.0 <= z[i] + step <= 1.0 else z[i] - step
        return z, z[i] - x[i]

    def _residuals_of(self, sims: list, settings: list[Setting]) -> list[NDArray]:
        n_seg = len(self.segments)
        return [
            np.concatenate(
                [self.segment_residual(k, *sims[c * n_seg + k], settings[c]) for k in range(n_seg)]
            )
            for c in range(len(settings))
        ]

    def _parameter_differences(self, x: NDArray, steps: Sequence[float]) -> NDArray:
        """One finite-difference estimate of the parameter columns per step: ``(steps, m, n)``."""
        states, n_par = self.states(x), self.n_params
        base = self.cached_residuals(x)
        settings, columns = [] if base is not None else [self.setting(x)], []
        for step in steps:
            for i in range(n_par):
                z, taken = self._moved(x, i, step)
                settings.append(self.setting(z))
                columns.append((i, taken))
        jobs = [job for s in settings for job in self.jobs(s, states)]
        residuals = self._residuals_of(self.replayer.simulate(jobs), settings)
        if base is None:
            base, residuals = residuals[0], residuals[1:]
        estimates = np.zeros((len(steps), base.size, n_par))
        for c, (i, taken) in enumerate(columns):
            estimates[c // n_par, :, i] = (residuals[c] - base) / taken
        return estimates

    def sparse_jacobian(self, x: NDArray) -> scipy.sparse.csr_matrix:
        """Forward-difference Jacobian in every decision variable (one rollout call), sparse.

        Its parameter columns are dense; its state columns are block diagonal (a segment's
        residuals depend on its own initial state only).
        """
        _, columns, blocks = self.differences(x)
        return self.assemble(columns, blocks)

    def jacobian(self, x: NDArray) -> NDArray:
        """:meth:`sparse_jacobian` as a dense array."""
        return self.sparse_jacobian(x).toarray()

    def cached_residuals(self, x: NDArray) -> NDArray | None:
        """The residuals last computed at ``x``, if the last ones were (and of the same log).

        The replayer's command signals are part of the key: a hold comparison swaps them.
        """
        if self._last is None:
            return None
        last_x, signals, residuals = self._last
        if signals is self.replayer.signals and np.array_equal(last_x, x):
            return residuals
        return None

    def differences(self, x: NDArray) -> tuple[NDArray, NDArray, list[NDArray]]:
        """Forward differences at ``x`` in every decision variable, in one rollout call.

        The residuals at ``x`` are reused from the last :meth:`residuals` call when it was
        at ``x`` (the trust region evaluates a point before it asks for its Jacobian).

        Returns:
            The residuals at ``x``, the ``(rows, n_params)`` parameter columns, and per
            segment its ``(rows, 2 m)`` block of initial-state columns.
        """
        states, n_seg, n_par, m = self.states(x), len(self.segments), self.n_params, self.m
        base_setting = self.setting(x)
        base = self.cached_residuals(x)
        jobs = [] if base is not None else self.jobs(base_setting, states)
        settings = []
        for i in range(n_par):
            z, taken = self._moved(x, i, EPS_PARAM)
            settings.append((self.setting(z), taken))
            jobs += self.jobs(settings[-1][0], states)
        scales = np.concatenate([self.q_scale, self.v_scale])
        perturbations = []
        for k in range(n_seg):
            for j in range(2 * m):
                step = EPS_STATE * max(1.0, scales[j])
                perturbed = states[k].copy()
                perturbed[j] += step
                jobs.append((k, base_setting.model_values, perturbed[:m], perturbed[m:],
                             base_setting.delay))  # fmt: skip
                perturbations.append((k, j, step))
        sims = iter(self.replayer.simulate(jobs))
        if base is None:
            base = np.concatenate(
                [self.segment_residual(k, *next(sims), base_setting) for k in range(n_seg)]
            )
            self._last = (np.array(x, copy=True), self.replayer.signals, base.copy())
        columns = np.empty((base.size, n_par))
        for i, (setting, taken) in enumerate(settings):
            moved = np.concatenate(
                [self.segment_residual(k, *next(sims), setting) for k in range(n_seg)]
            )
            columns[:, i] = (moved - base) / taken
        blocks = [np.empty((self.offsets[k + 1] - self.offsets[k], 2 * m)) for k in range(n_seg)]
        for k, j, step in perturbations:
            rows = slice(self.offsets[k], self.offsets[k + 1])
            blocks[k][:, j] = (self.segment_residual(k, *next(sims), base_setting)
                               - base[rows]) / step  # fmt: skip
        return base, columns, blocks

    def assemble(
        self, parameter_columns: NDArray, state_blocks: list[NDArray]
    ) -> scipy.sparse.csr_matrix:
        """The CSR Jacobian from its dense parameter columns and per-segment state blocks.

        Every row holds its parameter entries and its own segment's ``2 m`` state entries,
        so the matrix is written row-wise without a dense intermediate.
        """
        n_par, width = self.n_params, 2 * self.m
        rows = parameter_columns.shape[0]
        data = np.hstack([parameter_columns, np.vstack(state_blocks)])
        segment_of_row = np.repeat(np.arange(len(self.segments)), np.diff(self.offsets))
        indices = np.hstack([
            np.broadcast_to(np.arange(n_par), (rows, n_par)),
            n_par + width * segment_of_row[:, None] + np.arange(width)[None, :],
        ])  # fmt: skip
        indptr = np.arange(rows + 1) * (n_par + width)
        n_cols = n_par + width * len(self.segments)
        return scipy.sparse.csr_matrix((data.ravel(), indices.ravel(), indptr), (rows, n_cols))

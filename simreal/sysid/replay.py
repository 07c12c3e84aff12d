"""Replay logged controls in MuJoCo, segment by segment, many parameter sets at once.

Segments: each recording is cut into segments; every segment starts
from its own initial state (fitted jointly with the parameters, starting from
the measurement) and replays the logged controls for its span. Segments and
parameter sets run together in one threaded ``mujoco.rollout`` call, with one
model copy per parameter set.

Latency as a continuous quantity: the logged command is a zero-order hold;
delayed by ``d``, it switches in the middle of physics steps. Each physics step
applies the *time average* of the delayed command over the step, which is
exact in impulse for actuators linear in their command and makes the
trajectory a continuous, piecewise-linear function of ``d`` — so a finite
difference moves it, where a whole-step delay would give a zero gradient.
(MuJoCo's native actuator delay is a whole number of physics steps, so it
cannot be fitted this way; the proxies' delays are whole steps, which the
average reproduces exactly.)

How the plant turns logged commands into a signal is the log's ``hold``:
``"zoh"`` holds each command until the next sample, ``"linear"`` ramps from one
sample to the next (as a driver that interpolates its setpoints does, or
MuJoCo's ``interp`` and ``mujoco.sysid``'s resampling). Fitting one as the other
shifts the latency by about half a log period, which :mod:`simreal.sysid.hold_check`
detects.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import mujoco
import mujoco.rollout
import numpy as np
from numpy.typing import NDArray

from simreal.sysid.problem import BoundProblem
from simreal.sysid.recording import HOLDS, Recording

_FULL = mujoco.mjtState.mjSTATE_FULLPHYSICS


@dataclass
class Segment:
    """A span of one recording, replayed from its own initial state.

    Attributes:
        recording: Index of the recording.
        samples: Indices of the log samples it covers (its first is the anchor).
        t0: Start time (the anchor sample's time).
        nstep: Physics steps to simulate.
        positions: Each sample's position on the physics-step grid, ``(t - t0) / h``.
    """

    recording: int
    samples: NDArray[np.intp]
    t0: float
    nstep: int
    positions: NDArray[np.float64]


def make_segments(problem: BoundProblem, seconds: float) -> list[Segment]:
    """Cut every recording into segments of about ``seconds`` (the last may be longer)."""
    h = problem.model.opt.timestep
    segments = []
    for r, rec in enumerate(problem.recordings):
        starts = [0]
        for j in range(1, rec.time.size):
            if rec.time[j] - rec.time[starts[-1]] >= seconds - 1e-12:
                starts.append(j)
        if len(starts) > 1 and rec.time[-1] - rec.time[starts[-1]] < 0.5 * seconds:
            starts.pop()
        bounds = [*starts[1:], rec.time.size - 1]
        for a, b in zip(starts, bounds, strict=True):
            samples = np.arange(a, b + 1)
            positions = (rec.time[samples] - rec.time[a]) / h
            segments.append(
                Segment(
                    r,
                    samples,
                    float(rec.time[a]),
                    int(np.ceil(positions[-1] - 1e-9)) + 1,
                    positions,
                )
            )
    return segments


class ControlSignal:
    """The integral of a recording's commands, held or interpolated, for delayed averages.

    Args:
        time: ``(T,)`` sample times.
        commands: ``(T, nu)`` commands.
        hold: ``"zoh"`` (each command held until the next sample) or ``"linear"`` (a ramp
            from each sample to the next); before the first and after the last sample the
            command is held either way.
    """

    def __init__(
        self, time: NDArray[np.float64], commands: NDArray[np.float64], hold: str = "zoh"
    ) -> None:
        if hold not in HOLDS:
            raise ValueError(f"hold must be one of {', '.join(HOLDS)}, got {hold!r}.")
        self.time = time
        self.commands = commands
        widths = np.diff(time)[:, None]
        slopes = np.diff(commands, axis=0) / widths if hold == "linear" else 0 * commands[1:]
        self.slopes = np.vstack([slopes, np.zeros((1, commands.shape[1]))])
        pieces = commands[:-1] * widths + 0.5 * slopes * widths**2
        self.integral = np.vstack([np.zeros((1, commands.shape[1])), np.cumsum(pieces, 0)])

    def integrate(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """``U(t)``: the integral of the command signal from ``time[0]`` (held before it)."""
        j = np.clip(np.searchsorted(self.time, t, side="right") - 1, 0, self.time.size - 1)
        since = (t - self.time[j])[:, None]
        slope = np.where(since > 0, self.slopes[j], 0.0)
        return self.integral[j] + self.commands[j] * since + 0.5 * slope * since**2

    def averaged(self, t0: float, nstep: int, h: float, delay: float) -> NDArray[np.float64]:
        """Per physics step, the mean of the command delayed by ``delay`` over the step."""
        tau = t0 + h * np.arange(nstep + 1) - delay
        return np.diff(self.integrate(tau), axis=0) / h


class Replayer:
    """Simulates segments for many parameter sets in one ``mujoco.rollout`` call.

    Args:
        problem: The bound problem.
        segments: The segments.
        n_threads: Threads for the rollouts.
    """

    def __init__(self, problem: BoundProblem, segments: list[Segment], n_threads: int) -> None:
        self.problem = problem
        self.segments = segments
        model = problem.model
        self.h = model.opt.timestep
        self.signals = [
            ControlSignal(r.time, problem.controls(r), r.hold) for r in problem.recordings
        ]
        self.datas = [mujoco.MjData(model) for _ in range(max(1, n_threads))]
        self.scratch = mujoco.MjData(model)
        self.nstate = mujoco.mj_stateSize(model, _FULL)
        self.max_nstep = max(s.nstep for s in segments)
        self.qpos_slice = 1 + problem.qpos_adr
        self.qvel_slice = 1 + model.nq + problem.dof_adr
        self._models: dict[bytes, mujoco.MjModel] = {}

    def model_for(self, values: NDArray[np.float64]) -> mujoco.MjModel:
        """A model copy holding these parameter values (cached)."""
        key = np.asarray(values, np.float64).tobytes()
        model = self._models.get(key)
        if model is None:
            if len(self._models) > 256:
                self._models.clear()
            model = copy.copy(self.problem.model)
            self.problem.write(model, values)
            mujoco.mj_setConst(model, self.scratch)
            self._models[key] = model
        return model

    def initial_state(
        self, model: mujoco.MjModel, qpos: NDArray, qvel: NDArray, t0: float
    ) -> NDArray:
        """Full physics state with the measured joints at ``qpos``/``qvel``, the rest at rest."""
        data = self.scratch
        mujoco.mj_resetData(model, data)
        data.time = t0
        data.qpos[self.problem.qpos_adr] = qpos
        data.qvel[self.problem.dof_adr] = qvel
        state = np.empty(self.nstate)
        mujoco.mj_getState(model, data, state, _FULL)
        return state

    def simulate(
        self, jobs: list[tuple[int, NDArray, NDArray, NDArray, float]]
    ) -> list[tuple[NDArray, NDArray]]:
        """Run jobs ``(segment index, parameter values, qpos0, qvel0, latency)``.

        Returns:
            Per job, the simulated ``(positions, velocities)`` of the measured joints
            at the segment's sample times, each ``(n_samples, m)``.
        """
        models, states, controls = [], [], []
        for k, values, q0, v0, delay in jobs:
            seg = self.segments[k]
            model = self.model_for(values)
            models.append(model)
            states.append(self.initial_state(model, q0, v0, seg.t0))
            u = self.signals[seg.recording].averaged(seg.t0, seg.nstep, self.h, delay)
            padded = np.zeros((self.max_nstep, self.problem.model.nu))
            padded[: seg.nstep] = u
            padded[seg.nstep :] = u[-1]
            controls.append(padded)
        # A persistent pool: a fit calls rollout dozens of times, and starting threads each
        # time costs as much as a short rollout.
        out, _ = mujoco.rollout.rollout(
            models,
            self.datas,
            np.array(states),
            np.array(controls),
            nstep=self.max_nstep,
            persistent_pool=True,
        )
        results = []
        for (k, _, q0, v0, _), trajectory in zip(jobs, out, strict=True):
            seg = self.segments[k]
            q = np.vstack([q0[None], trajectory[:, self.qpos_slice]])
            v = np.vstack([v0[None], trajectory[:, self.qvel_slice]])
            results.append((_interpolate(q, seg.positions), _interpolate(v, seg.positions)))
        return results


def _interpolate(grid_values: NDArray, positions: NDArray) -> NDArray:
    """Linear interpolation of per-step values at fractional step positions."""
    lower = np.clip(np.floor(positions).astype(np.intp), 0, grid_values.shape[0] - 2)
    frac = (positions - lower)[:, None]
    return (1 - frac) * grid_values[lower] + frac * grid_values[lower + 1]


def recording_velocity(rec: Recording, names: list[str]) -> NDArray[np.float64]:
    """Measured velocities if logged, else central differences of the positions."""
    if all(n in rec.qvel for n in names):
        return np.stack([rec.qvel[n] for n in names], axis=1)
    q = np.stack([rec.qpos[n] for n in names], axis=1)
    return np.gradient(q, rec.time, axis=0)

"""An excitation designed for the parameters asked for: a D-optimal multisine.

Active system identification chooses the input that makes the data most informative
about the parameters. Here the input is a multisine of the same frequencies, phases
and amplitude bound as :func:`simreal.sysid.excitation.excitation`'s, but with one
weight per frequency and actuator; CMA-ES (the ``cma`` package) chooses the weights
that maximise ``log det`` of the parameters' information matrix (D-optimality: the
smallest joint confidence region) at the initial guess, each candidate simulated on
the model and its information taken as :func:`simreal.sysid.identifiability.information`
takes it before a fit. The signal is rescaled to the same peak as the plain multisine,
so it never asks more of an actuator than ``amplitude`` of its half-range.
"""

from __future__ import annotations

from collections.abc import Callable

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.sysid.excitation import MULTISINE_FREQUENCIES, record
from simreal.sysid.identifiability import information
from simreal.sysid.problem import FitParam, bind_problem
from simreal.sysid.recording import Recording


def weighted_multisine(
    weights: NDArray[np.float64], phases: NDArray[np.float64], duration: float, dt: float,
    ctrlrange: NDArray, amplitude: float = 0.8, max_frequency: float = 2.0,
) -> NDArray[np.float64]:  # fmt: skip
    """``(n_samples, nu)`` commands: per actuator, weighted sines scaled to the bound's peak.

    Args:
        weights: ``(nu, k)`` non-negative weight per actuator and frequency.
        phases: ``(nu, k)`` phases.
        duration: Seconds.
        dt: Sample period.
        ctrlrange: ``(nu, 2)`` command limits.
        amplitude: Fraction of each half-range the peak reaches.
        max_frequency: Highest of the ``k`` frequencies, Hz (from 0.1 Hz, evenly spaced).
    """
    t = np.arange(0.0, duration, dt)
    freqs = np.linspace(0.1, max_frequency, weights.shape[1])
    ranges = np.asarray(ctrlrange, np.float64)
    centre, half = ranges.mean(axis=1), 0.5 * (ranges[:, 1] - ranges[:, 0]) * amplitude
    waves = np.sin(2 * np.pi * t[:, None, None] * freqs[None, None] + phases[None])
    unit = (waves * weights[None]).sum(-1)
    unit /= np.maximum(np.abs(unit).max(axis=0, keepdims=True), 1e-12)
    return centre + half * unit


def d_optimal_multisine(
    model: mujoco.MjModel, params: list[FitParam], duration: float, dt: float,
    rng: np.random.Generator, amplitude: float = 0.8, max_frequency: float = 2.0,
    evaluations: int = 48, segment_seconds: float = 4.0, n_threads: int = 1,
    progress: Callable[[str], None] | None = None,
) -> NDArray[np.float64]:  # fmt: skip
    """Commands that maximise the information about ``params`` at their initial guesses.

    The first candidate is the plain multisine (equal weights), so the design is never
    less informative than it at the initial guess.

    Args:
        model: The model to be fitted (its values, or each parameter's ``initial``, are
            where the information is taken).
        params: The parameters to inform.
        duration: Seconds.
        dt: Command period.
        rng: Draws the phases and seeds CMA-ES.
        amplitude: Fraction of each actuator's half-range the peak reaches.
        max_frequency: Highest frequency, Hz.
        evaluations: Candidate signals simulated at most.
        segment_seconds: Segment length of the information (as the fit's last stage).
        n_threads: Rollout threads.
        progress: Receives one line per CMA-ES generation.

    Returns:
        ``(n_samples, nu)`` commands within the bound.
    """
    import cma

    start = bind_problem(model, params, [_probe(model, dt)]).start
    guess = {p.id: float(v) for p, v in zip(params, start, strict=True)}
    latency = guess.pop("latency.action", 0.0)
    at_guess = {pid: v for pid, v in guess.items()
                if not pid.startswith(("latency.", "bias.", "gain."))}  # fmt: skip
    nu, k = model.nu, MULTISINE_FREQUENCIES
    phases = rng.uniform(0, 2 * np.pi, (nu, k))

    def log_det(weights: NDArray[np.float64]) -> float:
        shaped = np.clip(weights, 0, 1).reshape(nu, k)
        commands = weighted_multisine(shaped, phases, duration, dt, model.actuator_ctrlrange,
                                      amplitude, max_frequency)  # fmt: skip
        recording = record(model, commands, dt, at_guess, latency)
        info, _ = information(model, params, [recording], segment_seconds, n_threads)
        sign, value = np.linalg.slogdet(info + 1e-12 * np.trace(info) * np.eye(len(params)))
        return float(value) if sign > 0 else -np.inf

    options = {"bounds": [0.0, 1.0], "maxfevals": evaluations, "popsize": 8, "verbose": -9,
               "seed": int(rng.integers(1, 2**31 - 1))}  # fmt: skip
    strategy = cma.CMAEvolutionStrategy(np.full(nu * k, 0.5), 0.3, options)
    best_weights, best = np.ones(nu * k), log_det(np.ones(nu * k))  # the plain multisine
    plain = best
    while not strategy.stop():
        candidates = strategy.ask()
        values = [log_det(np.asarray(c)) for c in candidates]
        strategy.tell(candidates, [-v if np.isfinite(v) else 1e300 for v in values])
        i = int(np.argmax(values))
        if values[i] > best:
            best, best_weights = values[i], np.clip(candidates[i], 0, 1)
        if progress is not None:
            progress(f"design: log det information {best:.2f} (plain multisine {plain:.2f})")
    return weighted_multisine(best_weights.reshape(nu, k), phases, duration, dt,
                              model.actuator_ctrlrange, amplitude, max_frequency)  # fmt: skip


def _probe(model: mujoco.MjModel, dt: float) -> Recording:
    """A still recording, only to bind the parameters (their initial guesses)."""
    return record(model, np.tile(model.actuator_ctrlrange.mean(axis=1), (100, 1)), dt)

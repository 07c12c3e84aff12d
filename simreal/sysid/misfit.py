"""Is the model able to follow the log? The fitted residual against the log's noise floor.

A fit always lands somewhere; when the model lacks an effect the plant has (a command
that saturates, a dead band, friction of another form) it lands off, and the residual
stays far above the sensor noise, in structure rather than scatter. The noise floor
comes from the log itself: white noise of standard deviation ``sigma`` gives third
differences of standard deviation ``sqrt(20) sigma``, while a smooth motion sampled
fast gives nearly none, so a robust spread (the median absolute deviation) of each
measured signal's third differences estimates its noise. A fitted residual more than
:data:`MISFIT_RATIO` times that floor, or one near the floor whose samples repeat
(autocorrelation time above :data:`STRUCTURE_TAU`; white noise has 1), is a model
mismatch: the fit says which signal and when, and widens its standard errors by the
square root of the residuals' integrated autocorrelation time (a systematic error
repeats from sample to sample, so the log holds fewer independent samples than rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simreal.sysid.objective import Objective

MISFIT_RATIO = 2.0
STRUCTURE_TAU = 3.0
WINDOW_SECONDS = 0.5


def noise_floor(signal: NDArray[np.float64]) -> float:
    """A signal's white-noise standard deviation, from the spread of its third differences."""
    third = np.diff(signal, 3)
    mad = float(np.median(np.abs(third - np.median(third)))) if third.size else 0.0
    floor = 1.4826 * mad / np.sqrt(20.0)
    if floor > 0:
        return floor
    steps = np.abs(np.diff(signal))
    steps = steps[steps > 0]  # a quantised encoder: its resolution's rounding noise
    return float(steps.min() / np.sqrt(12.0)) if steps.size else 0.0


def correlation_time(residuals: NDArray[np.float64], max_lag: int = 200) -> float:
    """Integrated autocorrelation time ``1 + 2 sum rho_k`` (summed while ``rho_k > 0``)."""
    r = residuals - residuals.mean()
    variance = float(np.dot(r, r))
    if variance <= 0 or r.size < 4:
        return 1.0
    tau = 1.0
    for lag in range(1, min(max_lag, r.size // 2)):
        rho = float(np.dot(r[:-lag], r[lag:])) / variance
        if rho <= 0:
            break
        tau += 2.0 * rho
    return tau


@dataclass(frozen=True)
class Misfit:
    """How far the fitted residual sits above the log's noise floor, per measured joint.

    Attributes:
        joints: The measured joints.
        rms: ``(m,)`` fitted position residual RMS, in the joint's units.
        floor: ``(m,)`` the noise floor of each joint's measured position.
        tau: Integrated autocorrelation time of the worst joint's residual, in samples.
        worst: ``(log, start s, end s)`` of the window where the worst joint's residual
            is largest.
    """

    joints: list[str]
    rms: NDArray[np.float64]
    floor: NDArray[np.float64]
    tau: float
    worst: tuple[str, float, float]

    @property
    def ratio(self) -> NDArray[np.float64]:
        """Residual RMS over the noise floor, per joint (0 where the log shows no floor).

        A joint whose reading never changes (a locked joint, a constant encoder) has no
        measurable floor; it is left out rather than flagged.
        """
        return np.where(self.floor > 0, self.rms / np.maximum(self.floor, 1e-300), 0.0)

    @property
    def flagged(self) -> bool:
        """Whether the residual is far above the floor, or near it but in structure.

        More than :data:`MISFIT_RATIO` floors; or, at half a floor or more, residuals
        that repeat from sample to sample (autocorrelation time above
        :data:`STRUCTURE_TAU`), which white sensor noise does not do: a small effect
        the model misses (a driver's saturation under a coarse encoder's noise) shows
        there first.
        """
        ratio = float(np.max(self.ratio))
        return ratio > MISFIT_RATIO or (ratio > 0.5 and self.tau > STRUCTURE_TAU)

    @property
    def inflation(self) -> float:
        """The factor the standard errors are widened by (1 without a mismatch)."""
        return float(np.sqrt(max(self.tau, 1.0))) if self.flagged else 1.0

    def warning(self) -> str | None:
        """The sentence naming the signal and the time the model cannot follow."""
        if not self.flagged:
            return None
        j = int(np.argmax(self.ratio))
        log, start, end = self.worst
        return (
            f"the model cannot follow qpos:{self.joints[j]}: its residual (RMS "
            f"{self.rms[j]:.3g}) is {self.ratio[j]:.1f} times the log's noise floor "
            f"({self.floor[j]:.3g}) and repeats over {self.tau:.1f} samples (noise: 1), worst "
            f"at {start:.1f}-{end:.1f} s of {log}; the model lacks "
            "an effect of the plant (a saturating actuator: fit actuator[...].forcelimit; "
            "friction: joint[...].frictionloss; a gain: actuator[...].gear), so the standard "
            f"errors are widened {self.inflation:.1f}x for the correlated misfit."
        )


def assess_misfit(objective: Objective, x: NDArray[np.float64]) -> Misfit:
    """Compare the fit's position residuals at ``x`` with each log's noise floor."""
    problem = objective.problem
    sims = objective.simulate(x)
    joints = list(problem.joint_names)
    residual = {r: np.full((rec.time.size, len(joints)), np.nan)
                for r, rec in enumerate(problem.recordings)}  # fmt: skip
    for k, seg in enumerate(objective.segments):
        residual[seg.recording][seg.samples] = sims[k][0] - objective.q_meas[k]
    floors = np.array([[noise_floor(problem.measured(rec)[:, j]) for j in range(len(joints))]
                       for rec in problem.recordings])  # fmt: skip
    stacked = np.vstack(list(residual.values()))
    rms = np.sqrt(np.nanmean(stacked**2, axis=0))
    floor = np.sqrt(np.mean(floors**2, axis=0))
    j = int(np.argmax(np.where(floor > 0, rms / np.maximum(floor, 1e-300), 0.0)))
    best = (problem.recordings[0].source, 0.0, 0.0, -1.0)
    taus = []
    for r, rec in enumerate(problem.recordings):
        values = residual[r][:, j]
        kept = np.isfinite(values)
        taus.append(correlation_time(values[kept]))
        step = float(np.median(np.diff(rec.time)))
        width = min(max(2, int(round(WINDOW_SECONDS / step))), values.size)
        power = np.convolve(np.where(kept, values, 0.0) ** 2, np.ones(width), "valid")
        i = int(np.argmax(power))
        if power[i] > best[3]:
            best = (rec.source, float(rec.time[i]), float(rec.time[i + width - 1]), power[i])
    return Misfit(joints, rms, floor, float(np.median(taus)), best[:3])

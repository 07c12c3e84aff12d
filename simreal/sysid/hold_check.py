"""Does the log's command convention match the plant? Compare held and interpolated commands.

A plant that ramps its commands between log samples, fitted as one that holds them
(or the reverse), is fitted with a loop delay about half a log period off, and the
delay's interval misses: a ramp through two samples is, to first order, the held
command half a period later. What tells them apart is what a delay cannot absorb
(a held command's steps against a ramp's corners, seen in the response at high
frequencies). So after the fit, a few Gauss-Newton steps (with the fit's own
Jacobian) refit everything from the fit under the other convention, and the
residuals are compared: the other
convention fitting clearly better (a likelihood-ratio statistic above
:data:`EVIDENCE`, and at least :data:`MIN_GAIN` less squared residual) is a warning
that names the flag to change. With sensor noise far above that difference (a slow
plant, commands without content near the log's Nyquist frequency) the conventions
cannot be told apart from the log, which the fit's output says too.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from numpy.typing import NDArray

from simreal.sysid.objective import Objective
from simreal.sysid.recording import HOLDS
from simreal.sysid.replay import ControlSignal

# n ln(S_this / S_other) above the 0.1% point of a chi-square with one degree of freedom.
EVIDENCE = 10.83
MIN_GAIN = 0.05


@dataclasses.dataclass(frozen=True)
class HoldComparison:
    """Residuals of the fit under each command convention, refitted for each.

    Attributes:
        hold: The convention the fit used.
        cost: ``{hold: sum of squared residuals}``.
        delay: ``{hold: the loop delay fitted under it}`` in seconds.
        n_residuals: How many residuals the costs sum.
        period: The logs' median sample period in seconds.
    """

    hold: str
    cost: dict[str, float]
    delay: dict[str, float]
    n_residuals: int
    period: float

    @property
    def other(self) -> str:
        """The convention the fit did not use."""
        return next(h for h in HOLDS if h != self.hold)

    @property
    def evidence(self) -> float:
        """``n ln(cost of the fit's convention / cost of the other)``: > 0 favours the other."""
        ratio = self.cost[self.hold] / max(self.cost[self.other], 1e-300)
        return float(self.n_residuals * np.log(max(ratio, 1e-300)))

    @property
    def mismatch(self) -> bool:
        """Whether the other convention fits the logs clearly better."""
        gain = 1.0 - self.cost[self.other] / max(self.cost[self.hold], 1e-300)
        return self.evidence > EVIDENCE and gain > MIN_GAIN

    def warning(self) -> str | None:
        """The sentence for a mismatch (``None`` without one)."""
        if not self.mismatch:
            return None
        shift = (self.delay[self.other] - self.delay[self.hold]) * 1e3
        return (
            f"the logs fit better with --hold {self.other} than with --hold {self.hold} "
            f"(squared residual {self.cost[self.other]:.3g} against {self.cost[self.hold]:.3g}, "
            f"the loop delay then {shift:+.1f} ms); the plant likely "
            f"{'interpolates' if self.other == 'linear' else 'holds'} its commands: refit "
            f"with --hold {self.other}."
        )

    def summary(self) -> str:
        """One line: both conventions' residuals and loop delays."""
        parts = [
            f"--hold {h}: squared residual {self.cost[h]:.4g}, "
            f"loop delay {self.delay[h] * 1e3:.1f} ms"
            for h in (self.hold, self.other)
        ]
        return f"commands as fitted ({'; refit with '.join(parts)})"

    def ambiguity(self) -> str | None:
        """The sentence when the logs cannot tell the conventions apart but the delay moves."""
        shift = abs(self.delay[self.other] - self.delay[self.hold])
        if self.mismatch or abs(self.evidence) > EVIDENCE or shift < 0.1 * self.period:
            return None
        return (
            f"the logs cannot tell held from interpolated commands (residuals within noise of "
            f"each other), and the loop delay is {self.delay['zoh'] * 1e3:.1f} ms as held, "
            f"{self.delay['linear'] * 1e3:.1f} ms as interpolated; the interval assumes --hold "
            f"{self.hold}: give --hold as your robot applies its commands."
        )


def compare_holds(
    objective: Objective,
    x: NDArray[np.float64],
    jacobian: NDArray[np.float64],
    max_steps: int = 8,
) -> HoldComparison:
    """Refit from the fit ``x`` under the other convention and compare the residuals.

    The refit is Gauss-Newton with the fit's own Jacobian at ``x`` (every parameter and
    segment state; the parameters kept within their bounds), one residual evaluation a
    step: the other convention moves the loop delay by about half a log period and the
    rest a little, which the Jacobian at the fit describes, so a few steps reach it for
    the cost of a few replays (a full refit cost a quarter of the fit).
    """
    problem, replayer = objective.problem, objective.replayer
    hold = problem.recordings[0].hold
    other = next(h for h in HOLDS if h != hold)
    period = float(np.median(np.concatenate([np.diff(r.time) for r in problem.recordings])))
    fitted_residuals = objective.cached_residuals(x)
    if fitted_residuals is None:
        fitted_residuals = objective.residuals(x)
    cost = {hold: float(np.sum(fitted_residuals**2))}
    delay = {hold: objective.setting(x).delay}
    matrix = scipy.sparse.csr_matrix(jacobian)
    fitted_signals = replayer.signals
    try:
        replayer.signals = [
            ControlSignal(r.time, problem.controls(r), other) for r in problem.recordings
        ]
        z, residuals = x.copy(), objective.residuals(x)
        for _ in range(max_steps):
            step = scipy.sparse.linalg.lsmr(matrix, -residuals, atol=1e-10, btol=1e-10)[0]
            trial = z + step
            trial[: objective.n_params] = np.clip(trial[: objective.n_params], 0.0, 1.0)
            moved = objective.residuals(trial)
            before, after = float(np.sum(residuals**2)), float(np.sum(moved**2))
            if after >= before:
                break
            z, residuals = trial, moved
            if after > 0.99 * before:
                break
        cost[other] = float(np.sum(residuals**2))
        delay[other] = objective.setting(z).delay
    finally:
        replayer.signals = fitted_signals
    return HoldComparison(hold, cost, delay, int(residuals.size), period)

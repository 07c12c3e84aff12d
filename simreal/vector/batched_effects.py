"""Action latency and sensor noise of N simulations, each with its single env's streams.

Per simulation this reproduces exactly what ``ActionDelay`` and
``ObservationNoise`` do for one env: the same delay split into whole steps and a
fraction (the time average of the delayed command), the same per-episode bias
and white-noise draws from the same seeded stream. Everything else is
vectorised over the N simulations.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simreal.randomization import BoundSpec
from simreal.wrappers.latency import split_delay
from simreal.wrappers.noise import OBSERVATION_NOISE_STREAM


class BatchedEffects:
    """The latency and noise state of N simulations.

    Args:
        n: Number of simulations.
        nu: Action size.
        obs_shape: Shape of one observation.
        bound: The bound spec (``None``: no effects).
    """

    # Each env's sensor-noise stream is drawn ahead in blocks: a Generator's
    # standard normals come out the same in one call of K rows as in K calls,
    # and every draw of ObservationNoise is a standard-normal row of the
    # observation's shape, so serving rows from the block reproduces it exactly.
    block = 64

    def __init__(
        self, n: int, nu: int, obs_shape: tuple[int, ...], bound: BoundSpec | None
    ) -> None:
        slices = bound.slices if bound is not None else {}
        self.has_delay = "latency.action" in slices
        self.has_noise = bool({"noise.observation", "bias.observation"} & set(slices))
        self._slices = slices
        self._n, self._obs_shape = n, obs_shape
        self._rngs = [np.random.default_rng() for _ in range(n)]
        self._rows = np.zeros((n, self.block, *obs_shape))
        self._next = np.full(n, self.block)
        self._bias = np.zeros((n, *obs_shape))
        self._white_std = np.zeros(n)
        self._delay_s = np.zeros(n)
        self._delay_steps = np.zeros(n, np.int64)
        self._delay_fraction = np.zeros(n)
        self._commands = np.zeros((n, 2, nu))

    def seed(self, i: int, seed: int) -> None:
        """Seed simulation ``i``'s noise stream as ``ObservationNoise.reset(seed=seed)`` does."""
        self._rngs[i] = np.random.default_rng([seed, OBSERVATION_NOISE_STREAM])
        self._next[i] = self.block

    def _value(self, values: NDArray, param_id: str) -> float:
        sl = self._slices.get(param_id)
        return float(values[sl][0]) if sl is not None else 0.0

    def set_values(self, i: int, values: NDArray) -> None:
        """Take simulation ``i``'s new settings (the delay from its next episode on)."""
        self._delay_s[i] = self._value(values, "latency.action")
        self._white_std[i] = self._value(values, "noise.observation")

    def _refill(self, i: int) -> None:
        self._rows[i] = self._rngs[i].standard_normal(self._rows.shape[1:])
        self._next[i] = 0

    def _row(self, i: int) -> NDArray:
        if self._next[i] >= self.block:
            self._refill(i)
        row = self._rows[i, self._next[i]]
        self._next[i] += 1
        return row

    def start_episode(
        self, i: int, obs: NDArray, hold: NDArray, dt: float, values: NDArray
    ) -> NDArray:
        """Begin simulation ``i``'s episode: size the delay, draw the bias; return its first obs.

        Args:
            i: The simulation.
            obs: Its first observation, without noise.
            hold: The command held before any is given (the actuators' start).
            dt: The control period.
            values: Its parameter values in effect.
        """
        if self.has_delay:
            steps, fraction = split_delay(float(self._delay_s[i]), dt)
            self._delay_steps[i], self._delay_fraction[i] = steps, fraction
            if self._commands.shape[1] < steps + 2:
                grown = np.zeros((self._n, steps + 2, self._commands.shape[2]))
                grown[:, -self._commands.shape[1] :] = self._commands
                self._commands = grown
            self._commands[i] = hold
        if self.has_noise:
            self._bias[i] = self._row(i) * self._value(values, "bias.observation")
            obs = obs + self._bias[i] + self._row(i) * self._white_std[i]
        return obs

    def actions(self, actions: NDArray) -> NDArray:
        """The commands the plants act on this step, given the policies' ``actions``."""
        if not self.has_delay:
            return actions
        self._commands[:, :-1] = self._commands[:, 1:]
        self._commands[:, -1] = actions
        rows = np.arange(self._n)
        depth = self._commands.shape[1]
        newer = self._commands[rows, depth - 1 - self._delay_steps]
        older = self._commands[rows, depth - 2 - self._delay_steps]
        f = self._delay_fraction[:, None]
        return np.where(f == 0.0, newer, (1.0 - f) * newer + f * older)

    def observe(self, obs: NDArray) -> NDArray:
        """Add every simulation's bias and this step's white noise to ``(N, ...)`` observations."""
        if not self.has_noise:
            return obs
        for i in np.flatnonzero(self._next >= self.block):
            self._refill(i)
        rows = self._rows[np.arange(self._n), self._next]
        self._next += 1
        white_std = self._white_std.reshape(-1, *([1] * len(self._obs_shape)))
        return obs + self._bias + rows * white_std

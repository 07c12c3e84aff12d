"""Latency wrappers: the plant acts on old commands, the policy sees old observations.

Both wrappers express the delay in seconds and convert it to control steps of
length ``dt`` (``env.unwrapped.dt`` for MuJoCo envs, else a ``dt`` argument).
A delay of ``(k + f) * dt`` with integer ``k >= 0`` and ``0 <= f < 1`` is
honoured exactly, the fractional part included (see each class for how).
A delay set with :meth:`~simreal.wrappers.randomizable.RandomizableWrapper.set_param`
takes effect from the next reset, when the history buffer is sized.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import ArrayLike, NDArray

from simreal.wrappers.randomizable import RandomizableWrapper

# A delay within this many steps (relative) of a whole number of steps is that
# whole number: 0.03 / 0.01 is 2.9999999999999996 in floating point, not 3 - eps.
_STEP_SNAP = 1e-9


def _check_delay(name: str, value: Any) -> float:  # noqa: ANN401
    """Validate a delay in seconds.

    Args:
        name: Argument name, used in the error message.
        value: The value given.

    Returns:
        The delay as ``float``.

    Raises:
        ValueError: If the value is not a finite real number >= 0.
    """
    valid = (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and math.isfinite(value)
        and value >= 0
    )
    if not valid:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}.")
    return float(value)


def _control_dt(env: gym.Env, dt: float | None) -> float:
    """Return the control period: ``env.unwrapped.dt`` if it has one, else ``dt``.

    Args:
        env: The wrapped env.
        dt: The ``dt`` constructor argument (``None`` if not given).

    Returns:
        The control period in seconds.

    Raises:
        ValueError: If neither is available, ``dt`` is not a finite number > 0,
            or ``dt`` disagrees with the env's own ``dt``.
    """
    if dt is not None:
        valid = (
            not isinstance(dt, bool)
            and isinstance(dt, (int, float, np.integer, np.floating))
            and math.isfinite(dt)
            and dt > 0
        )
        if not valid:
            raise ValueError(f"dt must be a finite number of seconds > 0, got {dt!r}.")
        dt = float(dt)
    env_dt = getattr(env.unwrapped, "dt", None)
    if env_dt is None:
        if dt is None:
            raise ValueError(
                f"dt is required: {type(env.unwrapped).__name__} has no 'dt' attribute, so give "
                "the control period in seconds, e.g. dt=0.02."
            )
        return dt
    env_dt = float(env_dt)
    if dt is not None and not math.isclose(dt, env_dt, rel_tol=1e-9):
        raise ValueError(
            f"dt={dt!r} disagrees with the env's own control period env.unwrapped.dt={env_dt!r}; "
            "leave dt out for envs that have one."
        )
    return env_dt


def _episode_limit_s(env: gym.Env, dt: float) -> float | None:
    """Return the episode time limit in seconds, or ``None`` if unknown."""
    spec = getattr(env, "spec", None)
    steps = getattr(spec, "max_episode_steps", None) if spec is not None else None
    return None if steps is None else steps * dt


def _check_within_episode(param_id: str, delay_s: float, limit_s: float | None) -> None:
    """Reject a delay longer than the episode.

    Raises:
        ValueError: If ``delay_s > limit_s``.
    """
    if limit_s is not None and delay_s > limit_s * (1 + _STEP_SNAP):
        raise ValueError(
            f"{param_id} must be at most the episode time limit of {limit_s:g} s "
            f"(max_episode_steps * dt), got {delay_s!r}."
        )


def split_delay(delay_s: float, dt: float) -> tuple[int, float]:
    """Split a delay into whole control steps ``k`` and a fraction ``f`` in ``[0, 1)``."""
    steps = delay_s / dt
    nearest = round(steps)
    if abs(steps - nearest) <= _STEP_SNAP * max(1.0, steps):
        return int(nearest), 0.0
    whole = math.floor(steps)
    return int(whole), float(steps - whole)


class _DelayWrapper(RandomizableWrapper):
    """A wrapper whose one setting is a delay in seconds, bounded by the episode length."""

    delay_s: float
    _limit_s: float | None

    def set_param(self, param_id: str, value: float) -> None:
        """Set the delay (seconds); it takes effect from the next reset.

        Raises:
            KeyError: If the id is not this wrapper's delay.
            ValueError: If the delay is negative, not finite or longer than the episode.
        """
        previous = self.delay_s
        super().set_param(param_id, value)
        try:
            _check_within_episode(param_id, self.delay_s, self._limit_s)
        except ValueError:
            self.delay_s = previous
            raise


class ActionDelay(_DelayWrapper, gym.utils.RecordConstructorArgs):
    """Delay the actions by ``delay_s`` seconds before the wrapped env applies them.

    The action the wrapped env receives at control step ``t`` is the command of
    time ``t * dt - delay_s``. With ``delay_s = (k + f) * dt`` (``k`` whole steps,
    ``0 <= f < 1``) that is, for float action spaces::

        applied[t] = (1 - f) * a[t - k] + f * a[t - k - 1]

    Why the average: the delayed zero-order-hold command signal is ``a[t-k-1]``
    for the first fraction ``f`` of step ``t`` and ``a[t-k]`` for the rest
    (it switches ``f * dt`` after the step starts). The wrapped env holds one
    value for the whole step, and for an actuator linear in its command (a
    motor torque, a servo setpoint) the plant integrates the step's time
    average of the command, which is the blend above. For an integer action
    space the command that holds for the larger part of the step is applied
    (``a[t-k-1]`` if ``f >= 0.5``), never a blend. ``f = 0`` gives exactly
    ``a[t-k]``.

    Before any command exists (the first ``k`` or ``k + 1`` steps of an episode)
    the missing commands are the "hold" command: ``initial_action`` if given;
    else, for a MuJoCo env whose ``data.ctrl`` matches the action shape, a copy
    of ``env.unwrapped.data.ctrl`` taken right after the wrapped env's reset
    (simreal's position-servo tasks hold their start pose there, Gymnasium's
    MuJoCo envs hold zero); else zeros.

    Settings (``info`` at reset and step, and :meth:`set_param`):
    ``latency.action`` = the delay in effect in seconds. A new delay set with
    :meth:`set_param` takes effect from the next reset.

    Example:
        >>> import gymnasium as gym
        >>> env = ActionDelay(gym.make("InvertedPendulum-v5"), delay_s=0.06)
        >>> obs, info = env.reset(seed=0)
        >>> info["latency.action"]
        0.06
        >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

    Args:
        env: The env to wrap; its action space must be a ``Box``.
        delay_s: The delay in seconds (>= 0, at most the episode time limit).
        initial_action: The hold command (shape of the action space); ``None``
            for the env's own ``data.ctrl`` after reset, or zeros.
        dt: Control period in seconds; required only if ``env.unwrapped`` has no
            ``dt`` attribute, and must agree with it if it does.

    Raises:
        ValueError: For a non-``Box`` action space, a negative or non-finite
            delay, a delay longer than the episode, a missing or bad ``dt``, or
            an ``initial_action`` of the wrong shape or with non-finite values.
    """

    PARAMS: ClassVar[dict[str, tuple[str, float]]] = {"latency.action": ("delay_s", 0.0)}

    def __init__(
        self,
        env: gym.Env,
        delay_s: float = 0.0,
        initial_action: ArrayLike | None = None,
        dt: float | None = None,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self, delay_s=delay_s, initial_action=initial_action, dt=dt
        )
        RandomizableWrapper.__init__(self, env)
        if not isinstance(env.action_space, spaces.Box):
            raise ValueError(
                f"ActionDelay needs a Box action space, got {type(env.action_space).__name__}."
            )
        self.dt = _control_dt(env, dt)
        self._limit_s = _episode_limit_s(env, self.dt)
        self.delay_s = _check_delay("delay_s", delay_s)
        _check_within_episode("latency.action", self.delay_s, self._limit_s)
        self._shape = env.action_space.shape
        self._blend = bool(np.issubdtype(env.action_space.dtype, np.floating))
        self._initial_action: NDArray[np.float64] | None = None
        if initial_action is not None:
            initial = np.array(initial_action, dtype=np.float64)
            if initial.shape != self._shape or not np.all(np.isfinite(initial)):
                raise ValueError(
                    f"initial_action must be None or a finite array of the action shape "
                    f"{self._shape}, got {initial_action!r}."
                )
            self._initial_action = initial
        self._start_episode()

    def _hold_command(self) -> NDArray[np.float64]:
        if self._initial_action is not None:
            return self._initial_action.copy()
        ctrl = getattr(getattr(self.env.unwrapped, "data", None), "ctrl", None)
        if ctrl is not None and np.shape(ctrl) == self._shape:
            return np.array(ctrl, dtype=np.float64)
        return np.zeros(self._shape, dtype=np.float64)

    def _start_episode(self) -> None:
        self._active_delay_s = self.delay_s
        self._steps, self._fraction = split_delay(self.delay_s, self.dt)
        hold = self._hold_command()
        # Commands a[t-k-1] .. a[t]: the newest is appended before it is read.
        self._commands: deque[NDArray[np.float64]] = deque(
            (hold.copy() for _ in range(self._steps + 2)), maxlen=self._steps + 2
        )

    def _applied_action(self) -> NDArray:
        newer = self._commands[-1 - self._steps]  # a[t-k]
        older = self._commands[-2 - self._steps]  # a[t-k-1]
        f = self._fraction
        if f == 0.0:
            applied = newer.copy()
        elif self._blend:
            applied = (1.0 - f) * newer + f * older
        else:
            applied = (older if f >= 0.5 else newer).copy()
        if not self._blend:
            return applied.astype(self.env.action_space.dtype)
        return applied

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the wrapped env and fill the command buffer with the hold command."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._start_episode()
        info["latency.action"] = self._active_delay_s
        return obs, info

    def step(self, action: ArrayLike) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Record the command and step the wrapped env with the delayed one."""
        command = np.array(action, dtype=np.float64)
        if command.shape != self._shape:
            raise ValueError(f"action must have shape {self._shape}, got {command.shape}.")
        self._commands.append(command)
        obs, reward, terminated, truncated, info = self.env.step(self._applied_action())
        info["latency.action"] = self._active_delay_s
        return obs, reward, terminated, truncated, info


class ObservationDelay(_DelayWrapper, gym.utils.RecordConstructorArgs):
    """Return the observation of ``delay_s`` seconds ago.

    At control step ``t`` the observation returned is the one of time
    ``t * dt - delay_s``. With ``delay_s = (k + f) * dt`` (``k`` whole steps,
    ``0 <= f < 1``) and ``o[t]`` the wrapped env's observation after step ``t``
    (``o[0]`` from reset):

    * float observations are linearly interpolated in time,
      ``(1 - f) * o[t - k] + f * o[t - k - 1]``;
    * integer observations (``uint8`` images) are never blended: the nearest
      stored one is returned, ``o[t - k - 1]`` if ``f >= 0.5`` else ``o[t - k]``
      (at exactly half a step the older one, the causal choice);
    * before the episode's first observation, the first observation (``o[0]``).

    ``f = 0`` returns ``o[t - k]`` exactly. ``info`` is passed through as the
    wrapped env returned it, so ``info["state"]`` stays the current, privileged
    truth.

    Settings (``info`` at reset and step, and :meth:`set_param`):
    ``latency.observation`` = the delay in effect in seconds. A new delay set
    with :meth:`set_param` takes effect from the next reset.

    Example:
        >>> import gymnasium as gym
        >>> env = ObservationDelay(gym.make("InvertedPendulum-v5"), delay_s=0.08)
        >>> obs, info = env.reset(seed=0)
        >>> info["latency.observation"]
        0.08
        >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

    Args:
        env: The env to wrap; its observation space must be a ``Box``.
        delay_s: The delay in seconds (>= 0, at most the episode time limit).
        dt: Control period in seconds; required only if ``env.unwrapped`` has no
            ``dt`` attribute, and must agree with it if it does.

    Raises:
        ValueError: For a non-``Box`` observation space, a negative or non-finite
            delay, a delay longer than the episode, or a missing or bad ``dt``.
    """

    PARAMS: ClassVar[dict[str, tuple[str, float]]] = {"latency.observation": ("delay_s", 0.0)}

    def __init__(self, env: gym.Env, delay_s: float = 0.0, dt: float | None = None) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, delay_s=delay_s, dt=dt)
        RandomizableWrapper.__init__(self, env)
        if not isinstance(env.observation_space, spaces.Box):
            raise ValueError(
                "ObservationDelay needs a Box observation space, got "
                f"{type(env.observation_space).__name__}."
            )
        self.dt = _control_dt(env, dt)
        self._limit_s = _episode_limit_s(env, self.dt)
        self.delay_s = _check_delay("delay_s", delay_s)
        _check_within_episode("latency.observation", self.delay_s, self._limit_s)
        self._dtype = env.observation_space.dtype
        self._blend = bool(np.issubdtype(self._dtype, np.floating))
        self._active_delay_s = self.delay_s
        self._steps, self._fraction = split_delay(self.delay_s, self.dt)
        self._observations: deque[NDArray] = deque(maxlen=self._steps + 2)

    def _delayed(self) -> NDArray:
        newer = self._observations[-1 - self._steps]  # o[t-k]
        older = self._observations[-2 - self._steps]  # o[t-k-1]
        f = self._fraction
        if f == 0.0:
            return newer.copy()
        if self._blend:
            blended = (1.0 - f) * newer.astype(np.float64) + f * older.astype(np.float64)
            return blended.astype(self._dtype)
        return (older if f >= 0.5 else newer).copy()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the wrapped env; until enough history exists, the first observation is used."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._active_delay_s = self.delay_s
        self._steps, self._fraction = split_delay(self.delay_s, self.dt)
        first = np.array(obs, copy=True)
        self._observations = deque(
            (first.copy() for _ in range(self._steps + 2)), maxlen=self._steps + 2
        )
        info["latency.observation"] = self._active_delay_s
        return self._delayed(), info

    def step(self, action: ArrayLike) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the wrapped env, store its observation and return the delayed one."""
        if not self._observations:
            raise gym.error.ResetNeeded("Call reset() before step() on ObservationDelay.")
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._observations.append(np.array(obs, copy=True))
        info["latency.observation"] = self._active_delay_s
        return self._delayed(), reward, terminated, truncated, info

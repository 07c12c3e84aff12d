"""Noise wrappers: imperfect sensors (white noise and a per-episode bias) and actuators.

Every random draw comes from the wrapper's own :class:`numpy.random.Generator`,
re-seeded with ``np.random.default_rng([seed, <class constant>])`` when
``reset(seed=seed)`` is given a seed and continuing its stream otherwise, so
that runs are reproducible and two different wrappers never share a stream.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import ArrayLike, NDArray

from simreal.wrappers.randomizable import RandomizableWrapper

# Distinct stream constants ("obsn", "actn" in ASCII), one per wrapper class.
OBSERVATION_NOISE_STREAM = 0x6F62736E
_ACTION_NOISE_STREAM = 0x6163746E

# A standard deviation: one for every dimension, or one per dimension.
Std = float | NDArray[np.float64]


def _check_std(name: str, value: Any, shape: tuple[int, ...] | None) -> Std:  # noqa: ANN401
    """Validate a standard deviation: a scalar or (if ``shape`` is given) an array of ``shape``.

    Args:
        name: Argument name, used in the error message.
        value: The value given.
        shape: The accepted array shape, or ``None`` if only scalars are accepted.

    Returns:
        A ``float``, or a float64 array of ``shape``.

    Raises:
        ValueError: If the value is not a finite number >= 0 (or such an array).
    """
    accepted = "a finite number >= 0" + (
        f" or an array of shape {shape} of such numbers" if shape is not None else ""
    )
    if isinstance(value, bool):
        raise ValueError(f"{name} must be {accepted}, got {value!r}.")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {accepted}, got {value!r}.") from None
    if array.ndim == 0:
        if not math.isfinite(array) or array < 0:
            raise ValueError(f"{name} must be {accepted}, got {value!r}.")
        return float(array)
    if shape is None or array.shape != shape or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be {accepted}, got {value!r}.")
    return array.copy()


def _reported(value: Std) -> Std:
    """Return a setting as reported in ``info``: a float, or a copy of a per-dimension array."""
    return value if isinstance(value, float) else np.array(value, copy=True)


class ObservationNoise(RandomizableWrapper, gym.utils.RecordConstructorArgs):
    """Add a per-episode bias and per-step white noise to float observations.

    ``noisy = obs + bias + white``, clipped to the observation space's finite
    bounds (if any), where, independently per observation dimension,

    * ``bias ~ N(0, bias_std)`` is drawn once per episode, at reset (a sensor
      offset, e.g. a miscalibrated encoder), and
    * ``white ~ N(0, white_std)`` is drawn anew at every reset and step.

    Both standard deviations are in the observation's own units, either one
    scalar for every dimension or a per-dimension array of the observation
    shape. :meth:`set_param` sets a scalar, which replaces a per-dimension
    array. A new ``white_std`` acts from the next step, a new ``bias_std`` from
    the next reset (when the bias is drawn). The current bias is :attr:`bias`.
    ``info["state"]`` (the privileged truth) is left untouched.

    Settings (``info`` at reset and step, and :meth:`set_param`):
    ``noise.observation`` = ``white_std``; ``bias.observation`` = the
    ``bias_std`` the current episode's bias was drawn with.

    Only float ``Box`` observations are accepted: noise on a ``uint8`` image is
    not a model of a camera; use visual randomization for image observations.

    Example:
        >>> import gymnasium as gym
        >>> env = ObservationNoise(gym.make("InvertedPendulum-v5"), white_std=0.01, bias_std=0.02)
        >>> obs, info = env.reset(seed=0)
        >>> info["noise.observation"], info["bias.observation"]
        (0.01, 0.02)
        >>> env.bias.shape
        (4,)

    Args:
        env: The env to wrap; its observation space must be a float ``Box``.
        white_std: Standard deviation of the per-step white noise (>= 0; scalar
            or array of the observation shape).
        bias_std: Standard deviation of the per-episode bias (>= 0; scalar or
            array of the observation shape).

    Raises:
        ValueError: For a non-``Box`` or non-float observation space, or a
            negative, non-finite or wrongly shaped standard deviation.
    """

    PARAMS: ClassVar[dict[str, tuple[str, float]]] = {
        "noise.observation": ("white_std", 0.0),
        "bias.observation": ("bias_std", 0.0),
    }

    def __init__(self, env: gym.Env, white_std: ArrayLike = 0.0, bias_std: ArrayLike = 0.0) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, white_std=white_std, bias_std=bias_std)
        RandomizableWrapper.__init__(self, env)
        space = env.observation_space
        if not isinstance(space, spaces.Box):
            raise ValueError(
                f"ObservationNoise needs a Box observation space, got {type(space).__name__}."
            )
        if not np.issubdtype(space.dtype, np.floating):
            raise ValueError(
                f"ObservationNoise needs float observations, got dtype {space.dtype} "
                f"(shape {space.shape}); for image observations use visual randomization "
                "instead (noise on uint8 pixels is not a camera model)."
            )
        self._shape = space.shape
        self._dtype = space.dtype
        self.white_std: Std = _check_std("white_std", white_std, self._shape)
        self.bias_std: Std = _check_std("bias_std", bias_std, self._shape)
        self._low = np.where(np.isfinite(space.low), space.low, -np.inf).astype(np.float64)
        self._high = np.where(np.isfinite(space.high), space.high, np.inf).astype(np.float64)
        self._clip = bool(np.any(np.isfinite(space.low)) or np.any(np.isfinite(space.high)))
        self._rng = np.random.default_rng()
        self._active_bias_std: Std = _reported(self.bias_std)
        self._bias = np.zeros(self._shape, dtype=np.float64)

    @property
    def bias(self) -> NDArray[np.float64]:
        """The current episode's bias (a copy), one value per observation dimension."""
        return self._bias.copy()

    def get_param(self, param_id: str) -> float:
        """Return the current value of a scalar setting.

        Raises:
            KeyError: If the id is not one of this wrapper's settings.
            ValueError: If the setting is a per-dimension array (read the
                attribute or ``info`` instead).
        """
        if param_id in self.PARAMS:
            value = getattr(self, self.PARAMS[param_id][0])
            if not isinstance(value, float):
                raise ValueError(
                    f"{param_id} is a per-dimension array, not a scalar; read "
                    f"{type(self).__name__}.{self.PARAMS[param_id][0]} or info[{param_id!r}]."
                )
        return super().get_param(param_id)

    def _noisy(self, obs: Any) -> NDArray:  # noqa: ANN401
        clean = np.asarray(obs, dtype=np.float64)
        white = self._rng.normal(0.0, 1.0, size=self._shape) * self.white_std
        noisy = clean + self._bias + white
        if self._clip:
            noisy = np.clip(noisy, self._low, self._high)
        return noisy.astype(self._dtype, copy=False)

    def _add_settings(self, info: dict[str, Any]) -> None:
        info["noise.observation"] = _reported(self.white_std)
        info["bias.observation"] = _reported(self._active_bias_std)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the wrapped env and draw this episode's bias."""
        obs, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self._rng = np.random.default_rng([seed, OBSERVATION_NOISE_STREAM])
        self._active_bias_std = _reported(self.bias_std)
        self._bias = self._rng.normal(0.0, 1.0, size=self._shape) * self._active_bias_std
        self._add_settings(info)
        return self._noisy(obs), info

    def step(self, action: ArrayLike) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the wrapped env and return its observation with bias and white noise."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._add_settings(info)
        return self._noisy(obs), reward, terminated, truncated, info


class ActionNoise(RandomizableWrapper, gym.utils.RecordConstructorArgs):
    """Add Gaussian noise to every action, relative to the action range, and clip.

    ``applied = clip(action + N(0, std * (high - low) / 2), low, high)``,
    independently per action dimension and step: ``std`` is relative to the
    half-range of each action dimension (``std=0.1`` on a ``[-2, 2]`` torque is
    0.2 N m of noise). The noise is drawn before clipping, so near the bounds
    the applied noise is truncated. A new ``std`` set with :meth:`set_param`
    acts from the next step.

    Settings (``info`` at reset and step, and :meth:`set_param`):
    ``noise.action`` = ``std``.

    Example:
        >>> import gymnasium as gym
        >>> env = ActionNoise(gym.make("InvertedPendulum-v5"), std=0.05)
        >>> obs, info = env.reset(seed=0)
        >>> info["noise.action"]
        0.05
        >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

    Args:
        env: The env to wrap; its action space must be a float ``Box`` with
            finite bounds.
        std: Noise standard deviation as a fraction of each dimension's
            half-range ``(high - low) / 2`` (>= 0).

    Raises:
        ValueError: For an action space that is not a float ``Box`` with finite
            bounds, or a negative or non-finite ``std``.
    """

    PARAMS: ClassVar[dict[str, tuple[str, float]]] = {"noise.action": ("std", 0.0)}

    def __init__(self, env: gym.Env, std: float = 0.0) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, std=std)
        RandomizableWrapper.__init__(self, env)
        space = env.action_space
        if not isinstance(space, spaces.Box) or not np.issubdtype(space.dtype, np.floating):
            raise ValueError(f"ActionNoise needs a float Box action space, got {space!r}.")
        if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
            raise ValueError(
                "ActionNoise needs finite action bounds (its std is relative to the half-range "
                f"(high - low) / 2), got low={space.low}, high={space.high}."
            )
        self.std = float(_check_std("std", std, None))
        self._low = space.low.astype(np.float64)
        self._high = space.high.astype(np.float64)
        self._half_range = (self._high - self._low) / 2.0
        self._rng = np.random.default_rng()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the wrapped env (and re-seed the noise stream if a seed is given)."""
        obs, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self._rng = np.random.default_rng([seed, _ACTION_NOISE_STREAM])
        info["noise.action"] = self.std
        return obs, info

    def step(self, action: ArrayLike) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the wrapped env with the noisy, clipped action."""
        command = np.asarray(action, dtype=np.float64)
        noise = self._rng.normal(0.0, 1.0, size=self._half_range.shape) * (
            self.std * self._half_range
        )
        applied = np.clip(command + noise, self._low, self._high).astype(self.action_space.dtype)
        obs, reward, terminated, truncated, info = self.env.step(applied)
        info["noise.action"] = self.std
        return obs, reward, terminated, truncated, info

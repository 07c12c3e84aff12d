"""Random external pushes on one body of a MuJoCo env.

Every random draw comes from the wrapper's own :class:`numpy.random.Generator`,
re-seeded with ``np.random.default_rng([seed, <class constant>])`` when
``reset(seed=seed)`` is given a seed and continuing its stream otherwise.
"""

from __future__ import annotations

import difflib
import math
from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import mujoco
import numpy as np
from numpy.typing import ArrayLike, NDArray

from simreal.wrappers.randomizable import RandomizableWrapper

# Stream constant ("push" in ASCII), distinct from the other wrappers'.
_PUSH_STREAM = 0x70757368


class RandomPushes(RandomizableWrapper, gym.utils.RecordConstructorArgs):
    """Push one body horizontally now and then, like a bump or a gust.

    At each control step, if no push is in progress, a push starts with
    probability ``probability``: a force of ``force`` newtons in a direction
    drawn uniformly in the world xy plane, applied at the body's centre of mass
    through ``data.xfrc_applied[body, :3]`` for ``duration_steps`` control steps
    (the step it starts in included), then cleared. Pushes are cleared at
    reset. The wrapper owns ``xfrc_applied[body, :3]``: it overwrites what is
    there while a push lasts and writes zeros when it ends.

    The push times and directions depend only on the seed, not on ``force``, so
    two runs with the same seed and different forces see the same pushes. A new
    ``force`` set with :meth:`set_param` applies from the next push.

    Settings (``info`` at reset and step, and :meth:`set_param`):
    ``push.force`` = ``force`` in newtons. ``info["push.active"]`` (bool) says
    whether a non-zero push acted during the step.

    Example:
        >>> import gymnasium as gym
        >>> env = RandomPushes(gym.make("InvertedPendulum-v5"), body="pole", force=2.0)
        >>> obs, info = env.reset(seed=0)
        >>> info["push.force"], info["push.active"]
        (2.0, False)
        >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        >>> sorted(k for k in info if k.startswith("push."))
        ['push.active', 'push.force']

    Args:
        env: A MuJoCo env (``env.unwrapped`` has ``model`` and ``data``).
        body: Name of the body to push (not the world body).
        force: Push magnitude in newtons (>= 0).
        probability: Chance per control step that a push starts when none is in
            progress (in [0, 1]).
        duration_steps: Length of a push in control steps (integer >= 1).

    Raises:
        ValueError: For a non-MuJoCo env, an unknown body name (the message lists
            close matches), or an out-of-range ``force``, ``probability`` or
            ``duration_steps``.
    """

    PARAMS: ClassVar[dict[str, tuple[str, float]]] = {"push.force": ("force", 0.0)}

    def __init__(
        self,
        env: gym.Env,
        body: str,
        force: float = 0.0,
        probability: float = 0.02,
        duration_steps: int = 5,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self,
            body=body,
            force=force,
            probability=probability,
            duration_steps=duration_steps,
        )
        RandomizableWrapper.__init__(self, env)
        model = getattr(env.unwrapped, "model", None)
        data = getattr(env.unwrapped, "data", None)
        if not isinstance(model, mujoco.MjModel) or not isinstance(data, mujoco.MjData):
            raise ValueError(
                "RandomPushes needs a MuJoCo env: env.unwrapped must have 'model' (MjModel) and "
                f"'data' (MjData); {type(env.unwrapped).__name__} does not."
            )
        self.body_id = self._resolve_body(model, body)
        self.body = body
        self.force = self._check_number("force", force, 0.0, math.inf)
        self.probability = self._check_number("probability", probability, 0.0, 1.0)
        if (
            isinstance(duration_steps, bool)
            or not isinstance(duration_steps, (int, np.integer))
            or duration_steps < 1
        ):
            raise ValueError(f"duration_steps must be an integer >= 1, got {duration_steps!r}.")
        self.duration_steps = int(duration_steps)
        self._rng = np.random.default_rng()
        self._remaining = 0
        self._push = np.zeros(3)

    @staticmethod
    def _check_number(name: str, value: Any, low: float, high: float) -> float:  # noqa: ANN401
        valid = (
            not isinstance(value, bool)
            and isinstance(value, (int, float, np.integer, np.floating))
            and math.isfinite(value)
            and low <= value <= high
        )
        if not valid:
            accepted = f">= {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}]"
            raise ValueError(f"{name} must be a finite number {accepted}, got {value!r}.")
        return float(value)

    @staticmethod
    def _resolve_body(model: mujoco.MjModel, body: str) -> int:
        names = [model.body(i).name for i in range(model.nbody)]
        body_id = -1
        if isinstance(body, str):
            body_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, body)
        if body_id < 0:
            close = difflib.get_close_matches(str(body), names, n=3, cutoff=0.5)
            hint = f"did you mean {close}? " if close else ""
            raise ValueError(
                f"body must be the name of a body of the model, got {body!r}; {hint}"
                f"the bodies are {names}."
            )
        if body_id == 0:
            raise ValueError(
                f"body must be a movable body, not the world body {body!r}; the bodies are "
                f"{names[1:]}."
            )
        return int(body_id)

    @property
    def _data(self) -> mujoco.MjData:
        return self.env.unwrapped.data

    def _clear(self) -> None:
        self._remaining = 0
        self._data.xfrc_applied[self.body_id, :3] = 0.0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the wrapped env and clear any push in progress."""
        obs, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self._rng = np.random.default_rng([seed, _PUSH_STREAM])
        self._clear()
        info["push.force"] = self.force
        info["push.active"] = False
        return obs, info

    def _start_push(self) -> None:
        angle = self._rng.uniform(0.0, 2.0 * math.pi)
        self._push = self.force * np.array([math.cos(angle), math.sin(angle), 0.0])
        self._remaining = self.duration_steps

    def step(self, action: ArrayLike) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Maybe start a push, step the wrapped env under it, and end it when it is over."""
        if self._remaining == 0 and self._rng.random() < self.probability:
            self._start_push()
        active = self._remaining > 0
        if active:
            self._data.xfrc_applied[self.body_id, :3] = self._push
        obs, reward, terminated, truncated, info = self.env.step(action)
        if active:
            self._remaining -= 1
            if self._remaining == 0:
                self._clear()
        info["push.force"] = self.force
        info["push.active"] = bool(active and np.any(self._push != 0.0))
        return obs, reward, terminated, truncated, info

    @property
    def push_vector(self) -> NDArray[np.float64]:
        """The force (N, world frame) of the push in progress, zeros if none."""
        return self._push.copy() if self._remaining > 0 else np.zeros(3)

"""The interface shared by every task's expert controller.

An expert maps the task's *state* observation to an action. On the pixel
variants it acts on the privileged state that the env returns as
``info["state"]`` (a teacher that sees what the image-based student cannot):
:func:`simreal.rollout.run_episodes` passes it that vector.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import NDArray


class Expert(ABC):
    """A scripted or optimal controller usable as a policy.

    Call it as ``expert(state_obs) -> action``, or through the Stable-Baselines3
    style :meth:`predict`, which also accepts a batch of observations.
    """

    def reset(self) -> None:  # noqa: B027 - stateless experts need no reset
        """Forget any per-episode internal state (called at every env reset)."""

    @abstractmethod
    def act(self, obs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the action for one state observation."""

    def __call__(self, obs: NDArray) -> NDArray[np.float32]:
        """Return the action for one state observation as ``float32``."""
        return np.asarray(self.act(np.asarray(obs, dtype=np.float64)), dtype=np.float32)

    def predict(
        self,
        observation: NDArray,
        state: object = None,
        episode_start: NDArray | None = None,
        deterministic: bool = True,
    ) -> tuple[NDArray[np.float32], None]:
        """Stable-Baselines3-compatible prediction for one or a batch of observations.

        Args:
            observation: One observation or a batch of them.
            state: Unused (experts are not recurrent).
            episode_start: Unused.
            deterministic: Unused (experts are deterministic).

        Returns:
            ``(actions, None)``.
        """
        obs = np.asarray(observation, dtype=np.float64)
        if obs.ndim == 1:
            return self(obs), None
        return np.stack([self(o) for o in obs]), None

"""Start SAC's actor from a cloned Gaussian policy (imitation first, RL second).

A ``simreal bc --head gaussian`` run is SB3's PPO ``MlpPolicy``: an unsquashed
Gaussian with a state-independent std, in action units. SAC's actor is a
``tanh``-squashed Gaussian in [-1, 1] with a state-dependent std, so the weights
cannot be copied across; :func:`distil_gaussian` regresses the SAC actor onto the
cloned policy instead, on the demonstration states: its squashed mean onto the
cloned mean (clipped to the action range and scaled to [-1, 1]) and its log-std
onto ``log(init_std)`` (the std as a fraction of the half-range, as
``simreal finetune --init-std`` sets it for PPO). The critic is not touched: it
learns from the demonstrations and the online data while the actor is frozen
(:class:`~simreal.learning.remedies.OffPolicyCriticWarmup`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def gaussian_mean(policy: Any, observations: NDArray) -> NDArray:  # noqa: ANN401
    """The mean action of an SB3 ``ActorCriticPolicy`` on (normalised) observations."""
    import torch

    with torch.no_grad():
        x = torch.as_tensor(observations, dtype=torch.float32)
        return policy.get_distribution(x).distribution.mean.numpy()


def distil_gaussian(
    model: Any,  # noqa: ANN401
    source: Any,  # noqa: ANN401
    observations: NDArray,
    init_std: float,
    seed: int,
    steps: int = 1000,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
) -> float:
    """Fit ``model``'s SAC actor to the Gaussian policy ``source`` on ``observations``.

    Args:
        model: An SB3 SAC model; its actor is trained in place.
        source: An SB3 ``ActorCriticPolicy`` with a Box action space (a cloned Gaussian).
        observations: Normalised observations, as both policies see them.
        init_std: The actor's std afterwards, a fraction of the half-range.
        seed: Seed of the minibatch order.
        steps: Adam steps.
        batch_size: Minibatch size.
        learning_rate: Adam step size.

    Returns:
        The final mean squared error of the actions, in SAC's [-1, 1] units.
    """
    import torch

    space = model.action_space
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    mean = gaussian_mean(source, observations)
    target = np.clip((np.clip(mean, low, high) - low) / ((high - low) / 2) - 1.0, -1, 1)
    obs_t = torch.as_tensor(observations, dtype=torch.float32)
    target_t = torch.as_tensor(target, dtype=torch.float32)
    log_std_target = float(np.log(init_std))
    actor = model.actor
    optimizer = torch.optim.Adam(actor.parameters(), lr=learning_rate)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = torch.as_tensor(rng.integers(0, len(obs_t), size=min(batch_size, len(obs_t))))
        mu, log_std, _ = actor.get_action_dist_params(obs_t[idx])
        loss = ((torch.tanh(mu) - target_t[idx]) ** 2).mean()
        loss = loss + 0.1 * ((log_std - log_std_target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        mu, _, _ = actor.get_action_dist_params(obs_t)
        return float(((torch.tanh(mu) - target_t) ** 2).mean())

"""The one rule of a step budget: every parallel env steps at once.

Kept apart from :mod:`~simreal.learning.budget` (which needs Stable-Baselines3) so
that commands can check a budget before any training library is imported.
"""

from __future__ import annotations


def check_step_budget(steps: int, n_envs: int) -> None:
    """Refuse a budget that the envs cannot take exactly (every env steps at once).

    Raises:
        ValueError: If ``steps`` is not a positive multiple of ``n_envs``; the message
            names the two nearest budgets that are.
    """
    if steps < n_envs or steps % n_envs:
        low, high = steps // n_envs * n_envs, -(-steps // n_envs) * n_envs
        nearest = f"{low:,} or {high:,}" if low else f"{high:,}"
        raise ValueError(
            f"steps {steps:,} is not a multiple of the {n_envs} parallel envs (every env "
            f"steps at once); use {nearest}, or another number of envs."
        )

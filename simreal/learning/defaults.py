"""Per-task training defaults: the algorithm, budget and settings known to work.

A task may ship ``train.yaml`` beside its ``dr.yaml`` (like RL Zoo's
hyperparameter files), e.g.::

    algo: sac
    steps: 15000
    n_envs: 4
    algo_kwargs:
      sac: {learning_starts: 1000, gradient_steps: 4}

Tasks without one (and Gymnasium envs) get :data:`FALLBACK`.
"""

from __future__ import annotations

from typing import Any

import yaml

FALLBACK: dict[str, Any] = {"algo": "ppo", "steps": 50_000, "n_envs": 8, "algo_kwargs": {}}
FILE = "train.yaml"


def training_defaults(env_id: str) -> dict[str, Any]:
    """The training defaults of a task (its ``train.yaml`` over :data:`FALLBACK`)."""
    from simreal.envs.registry import task_for

    try:
        path = task_for(env_id).default_spec_path.with_name(FILE)
    except KeyError:
        return dict(FALLBACK)
    if not path.is_file():
        return dict(FALLBACK)
    data = yaml.safe_load(path.read_text()) or {}
    unknown = set(data) - set(FALLBACK)
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(FALLBACK)}.")
    return {**FALLBACK, **data}

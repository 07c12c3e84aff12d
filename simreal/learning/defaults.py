"""Per-task training defaults: the algorithm, budget and settings known to work.

A task may ship ``train.yaml`` beside its ``dr.yaml`` (like RL Zoo's
hyperparameter files), e.g.::

    algo: sac
    steps: 15000
    n_envs: 4
    algo_kwargs:
      sac: {learning_starts: 1000, gradient_steps: 4}

Tasks without one (and Gymnasium envs) get :data:`FALLBACK`. ``simreal train``
and ``simreal sweep`` read the same defaults (:func:`run_settings`).
"""

from __future__ import annotations

import copy
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


def run_settings(
    env_id: str, algo: str | None = None, steps: int | None = None, n_envs: int | None = None
) -> tuple[str, int, int, dict[str, Any]]:
    """The settings of one run: those given, the rest from the task's training defaults.

    ``simreal train`` and ``simreal sweep`` both take their defaults from here, so a
    run trained by either with the same flags has the same settings.

    Returns:
        The algorithm, env steps, parallel envs and the algorithm's keyword arguments.
    """
    defaults = training_defaults(env_id)
    algo = algo or defaults["algo"]
    kwargs = copy.deepcopy(defaults["algo_kwargs"].get(algo, {}))
    # A task's budget and envs are tuned for its algorithm; another one gets the general ones.
    budget = defaults if algo == defaults["algo"] else FALLBACK
    steps = budget["steps"] if steps is None else steps
    return algo, steps, budget["n_envs"] if n_envs is None else n_envs, kwargs


# simreal finetune's PPO critic warm-up (env steps with the actor frozen), the default of
# its --critic-warmup and of a bcppo sweep learner.
PPO_CRITIC_WARMUP = 4096


def learner_kwargs(env_id: str, algo: str) -> dict[str, Any]:
    """The keyword arguments of one sweep learner: the task's ``train.yaml`` entry for it.

    A ``bcppo`` learner's PPO settings (its ``algo_kwargs``) default to the task's ``ppo``
    entry without ``policy_kwargs`` (the clone's network is kept, as ``simreal finetune``
    keeps it) and its ``critic_warmup`` to :data:`PPO_CRITIC_WARMUP`. A sweep resolves
    them once, when it is set up, and records them with its settings.
    """
    kwargs = copy.deepcopy(training_defaults(env_id)["algo_kwargs"].get(algo, {}))
    if algo == "bcppo":
        kwargs = {**bcppo_defaults(env_id), **kwargs}
    return kwargs


def bcppo_defaults(env_id: str) -> dict[str, Any]:
    """What a ``bcppo`` learner uses where its settings are silent (see :func:`learner_kwargs`)."""
    ppo = training_defaults(env_id)["algo_kwargs"].get("ppo", {})
    return {
        "algo_kwargs": {k: copy.deepcopy(v) for k, v in ppo.items() if k != "policy_kwargs"},
        "critic_warmup": PPO_CRITIC_WARMUP,
    }

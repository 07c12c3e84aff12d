"""BC -> RL: start PPO from a behaviour-cloned Gaussian policy and fine-tune it.

The remedies against the collapse of the first updates (critic warm-up, log-std
reset and floor, decaying BC regularisation) are the callbacks of
:mod:`simreal.learning.remedies`. The budget is exact (:mod:`simreal.learning.budget`):
``steps`` env steps, or at most ``episodes`` training episodes on the target —
on hardware the budget that matters. A warm-up that would cover every update of a
short budget is cut to half of them, and a fine-tune whose policy did not change
says so (:class:`FinetuneWarning`).

The run folder is a ``simreal train`` run (``simreal eval`` loads it) plus
``curve.csv`` (env steps, mean training return) and ``finetune.json`` (the
settings, the rollout layout and what ran: env steps, training episodes, PPO
updates, updates that trained the actor, BC regulariser steps). Observation
normalisation is the BC dataset's, frozen, so that the cloned policy sees the
inputs it was trained on.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.learning.budget import (
    EpisodeBudget,
    LearningCurve,
    Rollout,
    largest_divisor,
    plan_rollouts,
    shorten_rollouts,
)
from simreal.learning.train import (
    CHECKPOINT,
    OBS_NORM,
    RunError,
    load_obs_norm,
    save_obs_norm,
)

PPO_N_STEPS = 2048  # SB3's default rollout length per env


class FinetuneWarning(UserWarning):
    """A fine-tune ran but did less than asked (a shortened warm-up, an unchanged policy)."""


@dataclass(frozen=True)
class FinetuneConfig:
    """BC -> RL settings.

    Attributes:
        task: The env to fine-tune on (a real proxy for fine-tuning on the target).
        steps: PPO env steps, trained exactly (``None`` with ``episodes``).
        seed: Seed.
        n_envs: Parallel envs (a step budget is a multiple of them; an episode budget runs
            on the most of them that divide it).
        dr: DR spec dict (``None`` for none).
        width: Global width.
        critic_warmup: Env steps with the actor frozen (0: off), in whole rollouts.
        init_std: Initial action std as a fraction of the half-range (``None``: keep BC's).
        min_std: Floor of the action std as a fraction of the half-range (0: off).
        bc_weight: Initial weight of the BC regulariser (0: off).
        bc_decay: Its decay per regulariser step.
        algo_kwargs: PPO keyword arguments (``n_steps`` is the longest rollout per env).
        episodes: Training-episode budget instead of ``steps``: at most this many
            episodes take a step on the task.
    """

    task: str
    steps: int | None
    seed: int = 0
    n_envs: int = 8
    dr: dict | None = None
    width: float = 1.0
    critic_warmup: int = 0
    init_std: float | None = 0.1
    min_std: float = 0.02
    bc_weight: float = 1.0
    bc_decay: float = 0.9
    algo_kwargs: dict | None = None
    episodes: int | None = None

    def __post_init__(self) -> None:
        if (self.steps is None) == (self.episodes is None):
            raise ValueError("give either steps or episodes as the budget.")
        if self.steps is not None and self.steps < 2:
            raise ValueError(f"steps must be >= 2, got {self.steps}.")
        if self.episodes is not None and self.episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {self.episodes}.")
        if self.n_envs < 1 or self.critic_warmup < 0:
            raise ValueError("n_envs must be >= 1 and critic_warmup >= 0.")


def plan(config: FinetuneConfig) -> tuple[int, int, Rollout]:
    """The budget in env steps, the warm-up in env steps and the rollout layout.

    A step budget runs on ``n_envs`` envs (it must be a multiple of them); an episode
    budget on the most envs, at most ``n_envs``, that divide it, each running whole
    episodes. PPO's rollouts keep their length, and a shorter last one ends training
    at the budget. A warm-up that would freeze the actor in every update is cut to
    the first half of them.

    Raises:
        ValueError: For an episode budget on a task without a time limit, or a step
            budget that is not a multiple of the envs.
    """
    n_steps = int((config.algo_kwargs or {}).get("n_steps", PPO_N_STEPS))
    if config.episodes is not None:
        from simreal.envs.registry import env_spec

        limit = env_spec(config.task).max_episode_steps
        if not limit:
            raise ValueError(f"{config.task} has no time limit; an episode budget needs one.")
        steps = config.episodes * limit
        layout = plan_rollouts(steps, largest_divisor(config.episodes, config.n_envs), n_steps)
    else:
        steps = config.steps
        layout = plan_rollouts(steps, config.n_envs, n_steps)
    ends = update_ends(layout)
    warmup = config.critic_warmup
    if warmup >= ends[-1]:
        warmup = ends[layout.updates // 2 - 1] if layout.updates >= 2 else 0
    return steps, warmup, layout


def update_ends(layout: Rollout) -> list[int]:
    """The env step at which each PPO update's rollout ends."""
    ends = [layout.size * (k + 1) for k in range(layout.rollouts)]
    return ends + ([layout.steps] if layout.last_steps else [])


def load_source(bc_run: Path, task: str, trust_pickle: bool = False) -> Any:  # noqa: ANN401
    """Load the policy to fine-tune, checked against the task before anything runs on it.

    Raises:
        RunError: If ``bc_run`` is not a Gaussian BC run or a PPO run, or was trained
            for other observations than ``task`` gives.
    """
    from simreal.factory import make
    from simreal.learning.bc import read_run_kind
    from simreal.learning.policy_store import load_model

    if read_run_kind(bc_run) not in ("bc_gaussian", "rl"):
        raise RunError(
            f"{bc_run} is not a Gaussian BC run or a PPO run; clone with --head gaussian."
        )
    from simreal.learning.sac_finetune import source_kind

    if source_kind(bc_run) == "sac":
        raise RunError(f"{bc_run} is a SAC run, which PPO cannot go on from; add --algo sac.")
    source = load_model(bc_run, "ppo", trust_pickle=trust_pickle)
    env = make(task)
    shape = env.observation_space.shape
    env.close()
    if shape != source.observation_space.shape:
        raise RunError(
            f"{bc_run} was cloned for observations {source.observation_space.shape}; "
            f"{task} has {shape}."
        )
    return source


def finetune(
    config: FinetuneConfig, bc_run: str | Path, out: str | Path, trust_pickle: bool = False
) -> Path:
    """Fine-tune a ``simreal bc --head gaussian`` run with PPO; write a run folder and its curve.

    Args:
        config: What to fine-tune and the budget.
        bc_run: A Gaussian BC run (or a PPO run).
        out: The run folder to write.
        trust_pickle: Also read a pickled ``policy.zip`` of an older simreal (runs its code).

    Raises:
        RunError: If ``bc_run`` is not a Gaussian BC run (or a PPO run) of a task with
            the same spaces.
    """
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from simreal.learning.policy_store import save_model
    from simreal.learning.remedies import (
        BCRegulariser,
        CriticWarmup,
        LogStdFloor,
        actor_parameters,
    )
    from simreal.vector.make_vec import make_vec

    bc_run, out = Path(bc_run), Path(out)
    source = load_source(bc_run, config.task, trust_pickle)
    steps, warmup, layout = plan(config)
    if warmup < config.critic_warmup:
        trained = sum(end > warmup for end in update_ends(layout))
        warnings.warn(
            f"critic warm-up shortened from {config.critic_warmup} to {warmup} env steps so "
            f"that the policy trains in {trained} of the budget's {layout.updates} PPO "
            "updates.",
            FinetuneWarning,
            stacklevel=2,
        )
    venv = make_vec(config.task, layout.n_envs, dr=config.dr, width=config.width)
    venv.seed(config.seed)
    env = VecNormalize(VecMonitor(venv), norm_obs=True, norm_reward=False)
    load_obs_norm(env, bc_run / OBS_NORM)
    env.training = False  # frozen: the cloned policy's input statistics
    if env.observation_space.shape != source.observation_space.shape:
        raise RunError(
            f"{bc_run} was cloned for observations {source.observation_space.shape}; "
            f"{config.task} has {env.observation_space.shape}."
        )
    kwargs = {"policy_kwargs": source.policy_kwargs, **(config.algo_kwargs or {})}
    kwargs["n_steps"] = layout.n_steps
    batch = int(kwargs.get("batch_size", 64))
    fitting = largest_divisor(layout.size, batch)  # whole minibatches where one is near
    kwargs["batch_size"] = fitting if fitting >= max(2, batch // 2) else max(2, batch)
    model = PPO(
        "MlpPolicy", env, seed=config.seed, device="cpu", tensorboard_log=str(out / "tb"), **kwargs
    )
    model.policy.load_state_dict(source.policy.state_dict())
    # The log-std is reset when training starts; whether the policy learned is
    # read off the other actor parameters.
    moving = [p for p in actor_parameters(model.policy) if p is not model.policy.log_std]
    start = [p.detach().clone() for p in moving]
    half_range = (env.action_space.high - env.action_space.low) / 2
    critic = CriticWarmup(warmup)
    regulariser = BCRegulariser(model.policy, config.bc_weight, config.bc_decay, warmup=critic)
    budget = EpisodeBudget(config.episodes or steps, total_steps=layout.steps)
    curve = LearningCurve()
    callbacks = [critic, LogStdFloor(half_range, config.init_std, config.min_std)]
    callback = CallbackList([*callbacks, regulariser, budget, curve])
    for index, part in enumerate(layout.parts()):
        if budget.stopped:
            break
        if part < layout.size:  # the shorter last rollout
            shorten_rollouts(model, part // layout.n_envs)
        model.learn(part, callback=callback, reset_num_timesteps=index == 0,
                    tb_log_name="run", progress_bar=False)  # fmt: skip
    changed = any(not torch.equal(a, b) for a, b in zip(start, moving, strict=True))
    if critic.actor_updates == 0 or not changed:
        why = (
            "no PPO update trained the actor"
            if critic.actor_updates == 0
            else (f"{critic.actor_updates} PPO update(s) left the actor's weights as they were")
        )
        warnings.warn(
            f"the policy did not change in {model.num_timesteps} env steps: {why}.",
            FinetuneWarning,
            stacklevel=2,
        )
    out.mkdir(parents=True, exist_ok=True)
    ran = {
        "env_steps": int(model.num_timesteps),
        "training_episodes": budget.started,
        "finished_episodes": budget.finished,
        "untrained_steps": budget.cut_steps,
        "ppo_updates": critic.frozen_updates + critic.actor_updates,
        "actor_updates": critic.actor_updates,
        "regulariser_steps": regulariser.steps_taken,
        "policy_changed": changed,
    }
    train_config = {
        "task": config.task,
        "algo": "ppo",
        "steps": int(model.num_timesteps),
        "seed": config.seed,
        "n_envs": layout.n_envs,
        "dr": config.dr,
        "width": config.width,
        "checkpoint_every": max(int(model.num_timesteps), 1),
        "algo_kwargs": {k: v for k, v in kwargs.items() if k != "policy_kwargs"},
    }
    write_json_atomic(out / "config.json", train_config)
    document = {
        **asdict(config),
        "from": str(bc_run),
        "layout": {**asdict(layout), "critic_warmup": warmup},
        "ran": ran,
    }
    write_json_atomic(out / "finetune.json", document)
    save_model(model, out)
    save_obs_norm(env, out / OBS_NORM)
    (out / CHECKPOINT).mkdir(exist_ok=True)
    write_atomic(out / "curve.csv", lambda tmp: tmp.write_text(curve.csv()))
    env.close()
    return out


def summary(run: str | Path) -> dict:
    """What a fine-tune ran (the ``ran`` entry of its ``finetune.json``)."""
    import json

    return json.loads((Path(run) / "finetune.json").read_text())["ran"]

"""The table of simreal tasks: ids, entry points, experts and real proxies.

One row per task; everything that differs between tasks lives in the task's own
folder. :func:`register_tasks` registers every nominal id and its real proxy
(the same name with ``Real`` appended) with Gymnasium.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

from simreal.envs.expert import Expert

NAMESPACE = "simreal"


@dataclass(frozen=True)
class Task:
    """One registered task.

    Attributes:
        name: Versionless name, e.g. ``"PendulumSwingup"``.
        entry_point: ``"module:Class"`` of the nominal env.
        real_entry_point: ``"module:Class"`` of the real proxy.
        expert: ``"module:Class"`` of the expert controller.
        max_episode_steps: Episode length (Gymnasium ``TimeLimit``).
        kwargs: Constructor arguments given to both envs.
        expert_kwargs: Constructor arguments of the expert.
        dr_spec: File name of the default domain-randomization spec, in the task's folder.
        version: Version suffix of the ids.
    """

    name: str
    entry_point: str
    real_entry_point: str
    expert: str
    max_episode_steps: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    expert_kwargs: dict[str, Any] = field(default_factory=dict)
    dr_spec: str = "dr.yaml"
    version: int = 0

    @property
    def default_spec_path(self) -> Path:
        """Path of the task's default domain-randomization spec."""
        module = importlib.import_module(self.entry_point.partition(":")[0])
        return Path(module.__file__).parent / self.dr_spec

    @property
    def env_id(self) -> str:
        """Gymnasium id of the nominal task."""
        return f"{NAMESPACE}/{self.name}-v{self.version}"

    @property
    def real_id(self) -> str:
        """Gymnasium id of the task's real proxy."""
        return f"{NAMESPACE}/{self.name}Real-v{self.version}"


def _load(target: str) -> Any:  # noqa: ANN401
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


TASKS: tuple[Task, ...] = (
    Task(
        "PendulumSwingup",
        "simreal.envs.pendulum.env:PendulumSwingupEnv",
        "simreal.envs.pendulum.real:PendulumSwingupRealEnv",
        "simreal.envs.pendulum.expert:PendulumSwingupExpert",
        max_episode_steps=400,
    ),
    Task(
        "PendulumSwingupSaturated",
        "simreal.envs.pendulum.env:PendulumSwingupEnv",
        "simreal.envs.pendulum.real:PendulumSwingupSaturatedRealEnv",
        "simreal.envs.pendulum.expert:PendulumSwingupExpert",
        max_episode_steps=400,
    ),
    Task(
        "CartpoleBalance",
        "simreal.envs.cartpole.env:CartpoleEnv",
        "simreal.envs.cartpole.real:CartpoleRealEnv",
        "simreal.envs.cartpole.expert:CartpoleExpert",
        max_episode_steps=500,
        kwargs={"swingup": False},
    ),
    Task(
        "CartpoleSwingup",
        "simreal.envs.cartpole.env:CartpoleEnv",
        "simreal.envs.cartpole.real:CartpoleRealEnv",
        "simreal.envs.cartpole.expert:CartpoleExpert",
        max_episode_steps=500,
        kwargs={"swingup": True},
    ),
    Task(
        "Reach",
        "simreal.envs.reach.env:ReachEnv",
        "simreal.envs.reach.real:ReachRealEnv",
        "simreal.envs.reach.expert:ReachExpert",
        max_episode_steps=100,
    ),
    Task(
        "ReachPixels",
        "simreal.envs.reach.env:ReachEnv",
        "simreal.envs.reach.real:ReachRealEnv",
        "simreal.envs.reach.expert:ReachExpert",
        max_episode_steps=100,
        kwargs={"obs_type": "pixels"},
        dr_spec="dr_pixels.yaml",
    ),
    Task(
        "Push",
        "simreal.envs.push.env:PushEnv",
        "simreal.envs.push.real:PushRealEnv",
        "simreal.envs.push.expert:PushExpert",
        max_episode_steps=250,
    ),
    Task(
        "PushPixels",
        "simreal.envs.push.env:PushEnv",
        "simreal.envs.push.real:PushRealEnv",
        "simreal.envs.push.expert:PushExpert",
        max_episode_steps=250,
        kwargs={"obs_type": "pixels"},
        dr_spec="dr_pixels.yaml",
    ),
)


MODEL_ENV_ID = f"{NAMESPACE}/Model-v0"


def register_tasks() -> None:
    """Register every task and its real proxy, and ``simreal/Model-v0``, with Gymnasium.

    Idempotent. ``simreal/Model-v0`` is any MuJoCo model as an env
    (:mod:`simreal.envs.model_env`; ``model=`` a path or a catalog name).
    """
    if MODEL_ENV_ID not in gym.registry:
        gym.register(MODEL_ENV_ID, entry_point="simreal.envs.model_env:ModelEnv",
                     max_episode_steps=1000)  # fmt: skip
    for task in TASKS:
        for env_id, entry_point in (
            (task.env_id, task.entry_point),
            (task.real_id, task.real_entry_point),
        ):
            if env_id in gym.registry:
                continue
            gym.register(
                env_id,
                entry_point=entry_point,
                max_episode_steps=task.max_episode_steps,
                kwargs=dict(task.kwargs),
            )


def task_for(env_id: str) -> Task:
    """Return the task behind a nominal or real-proxy id.

    Args:
        env_id: A registered simreal id.

    Returns:
        The task row.

    Raises:
        KeyError: If the id is not a simreal task; the message lists the known ids.
    """
    for task in TASKS:
        if env_id in (task.env_id, task.real_id):
            return task
    known = ", ".join(t.env_id for t in TASKS)
    raise KeyError(f"{env_id!r} is not a simreal task; known tasks: {known}.")


def env_spec(env_id: str) -> gym.envs.registration.EnvSpec:
    """Return the Gymnasium spec of ``env_id``, accepting Gymnasium's ``module:EnvId`` form.

    Args:
        env_id: A registered id, or ``module:EnvId`` (the module is imported first,
            which registers the env, as ``gymnasium.make`` does).

    Returns:
        The registered spec (episode limit, entry point, kwargs).

    Raises:
        gymnasium.error.Error: If the id is not registered.
    """
    module, sep, name = env_id.partition(":")
    if sep:
        importlib.import_module(module)
        return gym.spec(name)
    return gym.spec(env_id)


def task_ids(include_real: bool = True) -> list[str]:
    """Return the registered ids, nominal first then (optionally) real proxies."""
    ids = [t.env_id for t in TASKS]
    return ids + [t.real_id for t in TASKS] if include_real else ids


def make_expert(env_id: str) -> Expert:
    """Build the expert controller of a task (the same expert serves its real proxy).

    Args:
        env_id: A nominal or real-proxy id.

    Returns:
        A fresh expert.
    """
    task = task_for(env_id)
    return _load(task.expert)(**task.expert_kwargs)

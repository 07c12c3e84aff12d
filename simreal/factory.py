"""``simreal.make``: a task (or any Gymnasium MuJoCo env) with its randomization wrappers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym

from simreal.randomization import DRSpec, SpecError, load_spec


def default_spec_path(env_id: str) -> Path:
    """Return the path of a simreal task's default domain-randomization spec.

    Raises:
        ValueError: If ``env_id`` is not a simreal task (other envs have no default).
    """
    from simreal.envs.registry import task_for

    try:
        task = task_for(env_id)
    except KeyError as error:
        raise ValueError(
            f"{env_id!r} has no default domain-randomization spec; pass dr=<spec.yaml or dict>."
        ) from error
    return task.default_spec_path


def make(
    env_id: str,
    dr: DRSpec | dict | str | Path | None = None,
    width: float | None = None,
    **kwargs: Any,  # noqa: ANN401
) -> gym.Env:
    """Build an env with domain randomization and the effect wrappers its spec needs.

    The wrapper stack, inside out: the env (``gymnasium.make``, time limit
    included) -> ``RandomPushes`` -> ``ActionDelay`` -> ``ActionNoise`` ->
    ``ObservationNoise`` -> ``ObservationDelay`` -> ``DomainRandomization``.
    Effect wrappers are added only for the effect terms the spec has (latency,
    noise, pushes), with their nominal setting 0.

    >>> env = make("simreal/PendulumSwingup-v0", dr="default", width=0.5)
    >>> obs, info = env.reset(seed=0)
    >>> "body[pole].mass" in info["dr"]
    True

    Args:
        env_id: A simreal task id, its real proxy's id, or any registered Gymnasium
            env whose ``unwrapped`` holds a MuJoCo model.
        dr: ``None`` (no randomization), ``"default"`` (the task's shipped spec), a
            YAML path, a dict or a :class:`DRSpec`.
        width: Global width (>= 0); default: the spec's ``width`` (1 unless set).
        **kwargs: Passed to ``gymnasium.make`` (e.g. ``render_mode``, ``obs_type``).

    Returns:
        The wrapped env.
    """
    import simreal.envs.registry  # noqa: F401  (registers the simreal ids)
    from simreal.wrappers.domain_randomization import DomainRandomization
    from simreal.wrappers.latency import ActionDelay, ObservationDelay
    from simreal.wrappers.noise import ActionNoise, ObservationNoise
    from simreal.wrappers.pushes import RandomPushes

    if width is not None and (not isinstance(width, (int, float)) or width < 0):
        raise ValueError(f"width must be a number >= 0, got {width!r}.")
    env = gym.make(env_id, **kwargs)
    if dr is None:
        return env
    spec = load_spec(default_spec_path(env_id) if dr == "default" else dr)
    ids = {term.id for term in spec.terms}
    if "push.force" in ids:
        body = spec.term("push.force").body
        if body is None:
            raise SpecError("push.force: name the body to push with 'body: <body name>'.")
        env = RandomPushes(env, body=body)
    if "latency.action" in ids:
        env = ActionDelay(env)
    if "noise.action" in ids:
        env = ActionNoise(env)
    if ids & {"noise.observation", "bias.observation"}:
        env = ObservationNoise(env)
    if "latency.observation" in ids:
        env = ObservationDelay(env)
    if any(i.startswith(("bias.qpos[", "gain.qpos[")) for i in ids):
        from simreal.wrappers.joint_sensors import JointSensorModel

        env = JointSensorModel(env)
    return DomainRandomization(env, spec, width=width)

"""Excitation signals, and synthetic recordings from a model with hidden parameters.

How users and tests make data: a chirp, multisine or PRBS command within each
actuator's ``ctrlrange``, replayed on any MJCF whose parameters are set to
chosen hidden values (by canonical id) with an optional latency and sensor
noise, and logged in the recording format.
"""

from __future__ import annotations

from collections.abc import Mapping

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.parameters import bind, element_names
from simreal.sysid.recording import Recording
from simreal.sysid.replay import ControlSignal

SIGNALS = ("chirp", "multisine", "prbs")
MULTISINE_FREQUENCIES = 12  # sines of a multisine, evenly spaced from 0.1 Hz
_ONE_DOF = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))


def excitation(
    kind: str, duration: float, dt: float, ctrlrange: NDArray, rng: np.random.Generator,
    amplitude: float = 0.8, max_frequency: float = 2.0,
) -> NDArray[np.float64]:  # fmt: skip
    """Return ``(n_samples, nu)`` commands sampled every ``dt`` seconds.

    Args:
        kind: ``chirp`` (frequency sweep 0.1 Hz -> ``max_frequency``), ``multisine``
            (random-phase sines up to ``max_frequency``) or ``prbs`` (random
            binary levels held for random multiples of ``dt``).
        duration: Seconds.
        dt: Sample period in seconds.
        ctrlrange: ``(nu, 2)`` command limits; the signal spans ``amplitude`` of each.
        rng: Generator (phases, levels).
        amplitude: Fraction of the half-range used (0-1].
        max_frequency: Highest frequency in Hz.

    Raises:
        ValueError: For an unknown kind or a non-positive duration or dt.
    """
    if kind not in SIGNALS:
        raise ValueError(f"unknown excitation {kind!r}; use one of {', '.join(SIGNALS)}.")
    if duration <= 0 or dt <= 0:
        raise ValueError("duration and dt must be > 0.")
    t = np.arange(0.0, duration, dt)
    ranges = np.asarray(ctrlrange, np.float64)
    centre, half = ranges.mean(axis=1), 0.5 * (ranges[:, 1] - ranges[:, 0]) * amplitude
    nu = ranges.shape[0]
    if kind == "chirp":
        f0, f1 = 0.1, max_frequency
        phase = 2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / duration * t**2)
        offsets = rng.uniform(0, 2 * np.pi, nu)
        unit = np.sin(phase[:, None] + offsets[None])
    elif kind == "multisine":
        freqs = np.linspace(0.1, max_frequency, MULTISINE_FREQUENCIES)
        phases = rng.uniform(0, 2 * np.pi, (nu, freqs.size))
        unit = np.sin(2 * np.pi * t[:, None, None] * freqs[None, None] + phases[None]).sum(-1)
        unit /= np.abs(unit).max(axis=0, keepdims=True)
    else:
        unit = np.empty((t.size, nu))
        hold = max(1, int(round(1.0 / (max_frequency * dt * 2))))
        for a in range(nu):
            level, k = rng.choice([-1.0, 1.0]), 0
            while k < t.size:
                span = hold * int(rng.integers(1, 4))
                unit[k : k + span, a] = level
                level, k = -level if rng.random() < 0.7 else level, k + span
    return centre + half * unit


def record(
    model: mujoco.MjModel,
    commands: NDArray[np.float64],
    dt: float,
    hidden: Mapping[str, float] | None = None,
    latency: float = 0.0,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
    qpos0: NDArray | None = None,
    hold: str = "zoh",
) -> Recording:
    """Simulate ``model`` with hidden parameter values and log it.

    The commands are held for ``dt`` each (``hold="linear"``: ramped from one sample
    to the next) and reach the actuators ``latency`` seconds late (each physics step
    applies the average of the delayed signal over the step, see
    :mod:`simreal.sysid.replay`). Every 1-DoF joint is logged; ``noise`` adds
    white noise of that fraction of each signal's range to positions and
    velocities.

    Args:
        model: Any model (left unchanged).
        commands: ``(n_samples, nu)`` commands, one row per ``dt``.
        dt: Command and logging period (a multiple of the model's timestep).
        hidden: ``{param id: value}`` applied to a copy of the model.
        latency: Command latency in seconds.
        noise: Sensor noise as a fraction of each signal's range.
        rng: Generator for the noise.
        qpos0: Initial ``qpos`` (default: the model's).
        hold: ``"zoh"`` or ``"linear"``: how the plant turns the commands into a signal.

    Returns:
        The recording (its ``hold`` the plant's).
    """
    import copy

    model = copy.copy(model)
    for pid, value in (hidden or {}).items():
        bind(pid, model).write(model, np.array([value]))
    data = mujoco.MjData(model)
    mujoco.mj_setConst(model, data)
    if qpos0 is not None:
        data.qpos[:] = qpos0
    h = model.opt.timestep
    per_sample = int(round(dt / h))
    if per_sample < 1 or abs(per_sample * h - dt) > 1e-9:
        raise ValueError(f"dt={dt} must be a whole multiple of the model timestep {h}.")
    n_samples = commands.shape[0]
    time = np.arange(n_samples) * dt
    signal = ControlSignal(time, commands, hold)
    applied = signal.averaged(0.0, n_samples * per_sample, h, latency)
    names = [n for n in element_names(model, "joint")
             if int(model.jnt_type[model.joint(n).id]) in _ONE_DOF]  # fmt: skip
    qadr = [model.joint(n).qposadr[0] for n in names]
    vadr = [model.joint(n).dofadr[0] for n in names]
    q = np.empty((n_samples, len(names)))
    v = np.empty((n_samples, len(names)))
    mujoco.mj_forward(model, data)
    for i in range(n_samples):
        q[i], v[i] = data.qpos[qadr], data.qvel[vadr]
        for k in range(per_sample):
            data.ctrl[:] = applied[i * per_sample + k]
            mujoco.mj_step(model, data)
    if noise > 0:
        rng = rng or np.random.default_rng(0)
        q = q + rng.normal(size=q.shape) * noise * np.ptp(q, axis=0)
        v = v + rng.normal(size=v.shape) * noise * np.ptp(v, axis=0)
    actuator_names = element_names(model, "actuator")
    return Recording(
        time,
        {a: commands[:, i] for i, a in enumerate(actuator_names)},
        {n: q[:, j] for j, n in enumerate(names)},
        {n: v[:, j] for j, n in enumerate(names)},
        source="<recorded>",
        measurement=synthetic_measurement("simulator state", noise),
        hold=hold,
    )


def synthetic_measurement(what: str, noise: float) -> str:
    """The measurement note of a log with synthetic noise (or none) on top of ``what``."""
    if noise > 0:
        return f"{what}, synthetic noise sigma = {noise:.3g} of each signal's range"
    return f"{what}, no noise added"


def record_env(
    env: object, commands: NDArray[np.float64], seed: int = 0, noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Recording:  # fmt: skip
    """Drive a Gymnasium MuJoCo env (e.g. a real proxy) with commands and log its joints.

    One command per env step; the env's own plant (latency, integrator,
    parameters) acts on it. A simreal task is logged through its sensor channel
    (:meth:`~simreal.envs.mujoco_task.MujocoTaskEnv.measure_joints`): the encoder
    readings behind each observation, with the robot's offsets, noise and delay,
    as a robot logs them. Another env (Gymnasium's own) has no sensor model: its
    joint state is read from its MuJoCo data. Either way ``noise`` (a fraction of
    each signal's range) is added on top, and the recording's ``measurement``
    says which it holds. The recording's time is the start of each step.
    """
    base = env.unwrapped
    model, data = base.model, base.data
    names = [
        n
        for n in element_names(model, "joint")
        if int(model.jnt_type[model.joint(n).id]) in _ONE_DOF
    ]
    qadr = [model.joint(n).qposadr[0] for n in names]
    vadr = [model.joint(n).dofadr[0] for n in names]
    env_id = str(getattr(env.spec, "id", "env"))
    has_sensors = hasattr(base, "joint_reading")

    def read() -> tuple[list[float], list[float]]:
        if has_sensors:
            reading = base.joint_reading
            return [reading.qpos[n] for n in names], [reading.qvel[n] for n in names]
        return data.qpos[qadr].tolist(), data.qvel[vadr].tolist()

    env.reset(seed=seed)
    low, high = env.action_space.low, env.action_space.high
    commands = np.clip(commands, low, high)
    q = np.empty((commands.shape[0], len(names)))
    v = np.empty_like(q)
    for i, command in enumerate(commands):
        q[i], v[i] = read()
        _, _, terminated, truncated, _ = env.step(command.astype(np.float32))
        if terminated:
            commands = commands[: i + 1]
            q, v = q[: i + 1], v[: i + 1]
            break
    if noise > 0:
        rng = rng or np.random.default_rng(seed)
        q = q + rng.normal(size=q.shape) * noise * np.ptp(q, axis=0)
        v = v + rng.normal(size=v.shape) * noise * np.ptp(v, axis=0)
    time = np.arange(commands.shape[0]) * float(base.dt)
    actuators = element_names(model, "actuator")
    what = f"sensors of {env_id}" if has_sensors else f"simulator state of {env_id}"
    return Recording(
        time, {a: commands[:, i] for i, a in enumerate(actuators)},
        {n: q[:, j] for j, n in enumerate(names)}, {n: v[:, j] for j, n in enumerate(names)},
        source=env_id, measurement=what if has_sensors and noise == 0
        else synthetic_measurement(what, noise),
    )  # fmt: skip

"""Logs through the robot's sensors, and a fit of the sensors with the physics."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import gymnasium as gym
import numpy as np
import pytest
import yaml

import simreal
from simreal.envs.pendulum.env import PendulumSwingupEnv
from simreal.envs.registry import task_for
from simreal.sysid.excitation import excitation, record_env
from simreal.sysid.fit import fit
from simreal.sysid.problem import FitParam, load_params
from simreal.sysid.readers import read_log, write_log
from simreal.sysid.report import fit_document, write_fit
from tests.test_sysid import PARAMS, _pendulum, _recording

REAL = "simreal/PendulumSwingupReal-v0"
NOMINAL = "simreal/PendulumSwingup-v0"
# The pendulum proxy as the nominal model sees it (see the README): its 0.8x motor makes the
# pole look 1/0.8 times as heavy and lossy; its encoder reads 0.05 rad off; 40 ms latency.
PROXY_AS_SEEN = {
    "body[pole].mass": 1.1 * 1.25 / 0.8,
    "joint[hinge].damping": 0.05 * 4 / 0.8,
    "joint[hinge].frictionloss": 0.02 * 3 / 0.8,
    "joint[hinge].armature": 0.01 / 0.8,
    "latency.action": 0.04,
    "bias.qpos[hinge]": 0.05,
}
TOLERANCE = {
    "body[pole].mass": 0.05,
    "joint[hinge].damping": 0.05,
    "joint[hinge].frictionloss": 0.1,
    "joint[hinge].armature": 0.1,
    "latency.action": 0.05,
    "bias.qpos[hinge]": 0.1,
}


def _excite(env: gym.Env, seconds: float, seed: int = 0) -> np.ndarray:
    base = env.unwrapped
    rng = np.random.default_rng(seed)
    return excitation("multisine", seconds, base.dt, base.model.actuator_ctrlrange, rng)


def _true_angles(env_id: str, commands: np.ndarray, seed: int) -> np.ndarray:
    """The simulator's hinge angle before each command (the old way of logging)."""
    env = gym.make(env_id)
    env.reset(seed=seed)
    angles = []
    for command in commands:
        angles.append(env.unwrapped.data.joint("hinge").qpos[0])
        env.step(command.astype(np.float32))
    return np.array(angles)


def test_a_real_proxys_log_holds_its_encoder_offset_and_noise(tmp_path: Path) -> None:
    env = gym.make(REAL)
    commands = _excite(env, 4.0)
    rec = read_log(write_log(record_env(env, commands, seed=3), tmp_path / "real.csv"))
    error = rec.qpos["hinge"] - _true_angles(REAL, commands, seed=3)
    assert error.mean() == pytest.approx(0.05, abs=0.003)  # the encoder offset
    assert error.std() == pytest.approx(0.01, rel=0.2)  # the encoder noise
    assert rec.measurement == f"sensors of {REAL}"


def test_the_policy_observes_the_reading_that_the_log_records() -> None:
    for env_id in (REAL, "simreal/CartpoleSwingupReal-v0", "simreal/ReachReal-v0"):
        env = gym.make(env_id)
        obs, _ = env.reset(seed=1)
        for _ in range(5):
            obs, *_ = env.step(env.action_space.sample())
        reading = env.unwrapped.joint_reading
        if env_id == REAL:
            angle = np.angle(np.exp(1j * reading.qpos["hinge"]))
            np.testing.assert_allclose(np.arctan2(obs[1], obs[0]), angle, atol=1e-12)
            assert obs[2] == pytest.approx(reading.qvel["hinge"])
        elif "Cartpole" in env_id:
            assert obs[0] == pytest.approx(reading.qpos["slider"])
            assert obs[3] == pytest.approx(reading.qvel["slider"])
        else:
            joints = ("base_yaw", "shoulder", "elbow")
            np.testing.assert_allclose(obs[:3], [reading.qpos[j] for j in joints])
            truth = [env.unwrapped.data.joint(j).qpos[0] for j in joints]
            assert np.abs(obs[:3] - truth - [0.03, -0.04, 0.05]).max() < 0.01


class DelayedSensorPendulum(PendulumSwingupEnv):
    """The nominal pendulum whose encoder reports 3 control steps (60 ms) late."""

    sensor_delay_steps: ClassVar[int] = 3


def test_a_sensor_delay_reaches_the_log_and_the_fit_finds_it() -> None:
    delayed, plain = DelayedSensorPendulum(), gym.make(NOMINAL).unwrapped
    commands = _excite(plain, 10.0, seed=2)
    late, on_time = record_env(delayed, commands, seed=4), record_env(plain, commands, seed=4)
    np.testing.assert_array_equal(late.qpos["hinge"][3:], on_time.qpos["hinge"][:-3])
    result = fit(_pendulum(), [FitParam("latency.observation", 0.0, 0.1)], [late], progress=None)
    assert result.values[0] == pytest.approx(0.06, rel=0.02)


def test_fit_recovers_the_proxys_encoder_offset_from_a_short_log() -> None:
    """The fast sibling of the next test: 8 s of log, the offset and three parameters."""
    env = gym.make(REAL)
    rec = record_env(env, _excite(env, 8.0, seed=1), seed=1)
    ids = ("body[pole].mass", "joint[hinge].damping", "latency.action", "bias.qpos[hinge]")
    params = [p for p in load_params(task_for(NOMINAL).default_spec_path.with_name("sysid.yaml"))
              if p.id in ids]  # fmt: skip
    result = fit(gym.make(NOMINAL).unwrapped.model, params, [rec], progress=None)
    fitted = result.as_dict()
    assert fitted["bias.qpos[hinge]"] == pytest.approx(0.05, rel=0.1)
    assert fitted["latency.action"] == pytest.approx(0.04, rel=0.2), fitted


@pytest.mark.slow
def test_fit_recovers_the_proxys_encoder_offset_and_physics(tmp_path: Path) -> None:
    env = gym.make(REAL)
    rec = record_env(env, _excite(env, 20.0), seed=0)
    params = load_params(task_for(NOMINAL).default_spec_path.with_name("sysid.yaml"))
    result = fit(gym.make(NOMINAL).unwrapped.model, params, [rec], progress=None)
    for p, value in zip(result.params, result.values, strict=True):
        assert value == pytest.approx(PROXY_AS_SEEN[p.id], rel=TOLERANCE[p.id]), p.id
    # The fitted offset becomes a DR term of the sensor channel: the policy's observed angle is
    # the simulator's plus the fitted offset.
    path = write_fit(result, tmp_path / "fit.yaml")
    assert yaml.safe_load(path.read_text())["sysid"]["measurements"] == [f"sensors of {REAL}"]
    sim = simreal.make(NOMINAL, dr=path, width=0.0)
    obs, info = sim.reset(seed=0)
    offset = result.as_dict()["bias.qpos[hinge]"]
    assert info["dr"]["bias.qpos[hinge]"] == pytest.approx(offset)
    for _ in range(3):
        observed = np.arctan2(obs[1], obs[0])
        true = sim.unwrapped.data.joint("hinge").qpos[0]
        assert np.angle(np.exp(1j * (observed - true))) == pytest.approx(offset, abs=1e-9)
        obs, *_ = sim.step(sim.action_space.sample())


def test_a_fitted_offset_in_fit_yaml_shifts_what_the_policy_observes(tmp_path: Path) -> None:
    spec = tmp_path / "fit.yaml"
    spec.write_text(
        "terms:\n  - {param: 'bias.qpos[hinge]', op: set, distribution: uniform, low: -0.09, "
        "high: -0.07, centre: -0.08}\n"
    )
    for width in (0.0, 1.0):
        env = simreal.make(NOMINAL, dr=spec, width=width)
        obs, info = env.reset(seed=5)
        offset = info["dr"]["bias.qpos[hinge]"]
        assert -0.09 <= offset <= -0.07 and (width > 0 or offset == pytest.approx(-0.08))
        turned = np.arctan2(obs[1], obs[0]) - env.unwrapped.data.joint("hinge").qpos[0]
        assert np.angle(np.exp(1j * turned)) == pytest.approx(offset)


def test_a_parameter_in_a_degenerate_combination_has_an_infinite_error() -> None:
    """Mass and motor gain both free: only their ratio is seen; DR keeps their bounds."""
    params = [*PARAMS, FitParam("actuator[torque].gear", 0.5, 4.0)]
    result = fit(_pendulum(), params, [_recording(noise=0.005)], progress=None)
    errors = dict(zip([p.id for p in params], result.std_errors, strict=True))
    for pid in ("body[pole].mass", "actuator[torque].gear", "joint[hinge].damping"):
        assert errors[pid] == np.inf, pid
    assert np.isfinite(errors["latency.action"])
    terms = {t["param"]: t for t in fit_document(result)["terms"]}
    for p in params:
        if p.id != "latency.action":
            assert (terms[p.id]["low"], terms[p.id]["high"]) == (p.low, p.high), p.id
    assert terms["latency.action"]["high"] - terms["latency.action"]["low"] < 0.01


def test_a_robust_fits_errors_come_from_the_inliers() -> None:
    """Outliers down-weighted in the fit are down-weighted in its standard errors too."""
    clean = _recording(seed=1, noise=0.005)
    reference = fit(_pendulum(), PARAMS, [clean], progress=None)
    rng = np.random.default_rng(3)
    spiky = _recording(seed=1, noise=0.005)
    q = spiky.qpos["hinge"]
    rows = rng.choice(q.size, 20, replace=False)
    q[rows] += rng.choice([-1.0, 1.0], rows.size) * 5 * np.ptp(q)
    robust = fit(_pendulum(), PARAMS, [spiky], loss="soft_l1", progress=None)
    np.testing.assert_allclose(robust.values, reference.values, rtol=0.02)
    ratio = robust.std_errors / reference.std_errors
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio


def test_fit_recovers_the_cartpole_proxys_pole_encoder_offset() -> None:
    """The cart-pole proxy (RK4 at 5 ms, 0.85x motor, 80 ms delay): its 0.06 rad pole offset."""
    env = gym.make("simreal/CartpoleSwingupReal-v0")
    base = env.unwrapped
    rng = np.random.default_rng(0)
    commands = excitation("multisine", 10.0, base.dt, base.model.actuator_ctrlrange, rng,
                          amplitude=0.3)  # fmt: skip
    rec = record_env(env, commands, seed=0)
    params = [
        FitParam("body[pole].mass", 0.05, 2.0),
        FitParam("joint[slider].damping", 0.0, 2.0),
        FitParam("joint[slider].frictionloss", 0.0, 1.0),
        FitParam("latency.action", 0.0, 0.2),
        FitParam("bias.qpos[hinge]", -0.3, 0.3),
    ]
    model = gym.make("simreal/CartpoleSwingup-v0").unwrapped.model
    result = fit(model, params, [rec], progress=None)
    assert result.as_dict()["bias.qpos[hinge]"] == pytest.approx(0.06, rel=0.1)


def test_an_encoder_gain_and_offset_are_fitted_with_the_physics(tmp_path: Path) -> None:
    """A log seen through measured = 1.05 q - 0.1 (velocities x 1.05): both recovered."""
    rec = _recording(seconds=10.0)
    rec.qpos["hinge"] = 1.05 * rec.qpos["hinge"] - 0.1
    rec.qvel["hinge"] = 1.05 * rec.qvel["hinge"]
    params = [*PARAMS, FitParam("gain.qpos[hinge]", 0.8, 1.2),
              FitParam("bias.qpos[hinge]", -0.3, 0.3)]  # fmt: skip
    result = fit(_pendulum(), params, [rec], progress=None)
    fitted = result.as_dict()
    assert fitted["gain.qpos[hinge]"] == pytest.approx(1.05, rel=1e-3)
    assert fitted["bias.qpos[hinge]"] == pytest.approx(-0.1, rel=1e-2)
    assert fitted["body[pole].mass"] == pytest.approx(1.3, rel=1e-2)
    env = simreal.make(NOMINAL, dr=write_fit(result, tmp_path / "fit.yaml"), width=0.0)
    obs, _ = env.reset(seed=0)
    obs, *_ = env.step(np.ones(1, np.float32))
    assert obs[2] == pytest.approx(fitted["gain.qpos[hinge]"] * env.unwrapped.data.qvel[0])

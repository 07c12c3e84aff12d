"""The DomainRandomization wrapper: schedules, exact restore, determinism, real physics."""

from __future__ import annotations

import copy
from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import simreal
from simreal.wrappers.domain_randomization import DomainRandomization
from tests.conftest import NOMINAL_IDS


def _uniform(param: str, low: float, high: float, op: str = "scale", **extra) -> dict:  # noqa: ANN003
    return {"param": param, "op": op, "distribution": "uniform", "low": low, "high": high, **extra}


def _fixed(param: str, value: float, op: str = "set") -> dict:
    return {"param": param, "op": op, "distribution": "fixed", "value": value}


PENDULUM_SPEC = {"terms": [
    _uniform("body[pole].mass", 0.5, 1.5),
    _uniform("joint[hinge].damping", 0.5, 2.0, op="scale"),
    {"param": "option.gravity", "op": "add", "distribution": "normal", "mean": 0.0, "std": 0.3},
    _uniform("geom[cpole].friction", 0.5, 1.5),
    _uniform("actuator[slide].gear", 0.8, 1.2),
]}  # fmt: skip


def _model_arrays(model: mujoco.MjModel) -> dict[str, np.ndarray]:
    return {
        name: np.array(getattr(model, name))
        for name in dir(model)
        if not name.startswith("_") and isinstance(getattr(model, name), np.ndarray)
    }


def test_no_drift_after_10000_resets() -> None:
    env = DomainRandomization(gym.make("InvertedPendulum-v5"), PENDULUM_SPEC, width=2.0)
    pristine = _model_arrays(copy.deepcopy(env.unwrapped.model))
    _, info = env.reset(seed=0)
    for _ in range(10_000):
        env.reset()
    # The same values on the used env and on a fresh one give the same model, bit for bit.
    fresh = DomainRandomization(gym.make("InvertedPendulum-v5"), PENDULUM_SPEC, width=2.0)
    fresh.reset(seed=1)
    for e in (env, fresh):
        e.reset(options={"dr_values": info["dr"]})
    used, new = _model_arrays(env.unwrapped.model), _model_arrays(fresh.unwrapped.model)
    assert [k for k in used if not np.array_equal(used[k], new[k])] == []
    assert not np.array_equal(used["body_mass"], pristine["body_mass"])
    # A width-0 draw is the saved nominal: the model is the pristine one, bit for bit.
    env.width = 0.0
    _, info = env.reset()
    after = _model_arrays(env.unwrapped.model)
    assert [k for k in pristine if not np.array_equal(pristine[k], after[k])] == []
    pole = env.unwrapped.model.body("pole").id
    assert info["dr"]["body[pole].mass"] == pristine["body_mass"][pole]


def test_operations_are_relative_to_the_nominal_and_never_compound() -> None:
    env = DomainRandomization(gym.make("InvertedPendulum-v5"), {"terms": [
        _fixed("body[pole].mass", 2.0, op="scale"), _fixed("joint[hinge].damping", 0.5, op="add"),
        _fixed("geom[cpole].friction_sliding", 0.3),
    ]})  # fmt: skip
    model = env.unwrapped.model
    mass, damping = model.body("pole").mass[0], model.joint("hinge").damping[0]
    for _ in range(3):
        env.reset()
        assert model.body("pole").mass[0] == pytest.approx(2.0 * mass)
        assert model.joint("hinge").damping[0] == pytest.approx(damping + 0.5)
        assert model.geom("cpole").friction[0] == pytest.approx(0.3)


def test_width_zero_is_the_nominal_model() -> None:
    env = DomainRandomization(gym.make("InvertedPendulum-v5"), PENDULUM_SPEC, width=0.0)
    pristine = _model_arrays(copy.deepcopy(env.unwrapped.model))
    _, info = env.reset(seed=3)
    after = _model_arrays(env.unwrapped.model)
    assert all(
        np.allclose(pristine[k], after[k]) for k in ("body_mass", "dof_damping", "geom_friction")
    )
    assert info["dr"]["option.gravity"] == pytest.approx([0.0, 0.0, -9.81])


def test_same_seed_same_sequence_and_different_seeds_differ() -> None:
    def sequence(seed: int) -> list:
        env = DomainRandomization(gym.make("InvertedPendulum-v5"), PENDULUM_SPEC)
        values = [env.reset(seed=seed)[1]["dr"]]
        values += [env.reset()[1]["dr"] for _ in range(4)]
        return values

    assert sequence(5) == sequence(5)
    assert sequence(5) != sequence(6)


def test_schedules_once_reset_and_every_steps() -> None:
    env = DomainRandomization(gym.make("InvertedPendulum-v5"), {"terms": [
        _uniform("body[pole].mass", 0.5, 1.5, schedule="once"),
        _uniform("joint[hinge].damping", 0.5, 2.0),
        _uniform("geom[cpole].friction_sliding", 0.5, 1.5, schedule="every_steps", every_steps=5),
    ]})  # fmt: skip
    infos = [env.reset(seed=0)[1]["dr"], env.reset()[1]["dr"]]
    assert infos[0]["body[pole].mass"] == infos[1]["body[pole].mass"]
    assert infos[0]["joint[hinge].damping"] != infos[1]["joint[hinge].damping"]
    frictions = []
    for _ in range(10):
        frictions.append(env.step(np.zeros(1, np.float32))[4]["dr"]["geom[cpole].friction_sliding"])
    assert len(set(frictions[:4])) == 1 and frictions[4] != frictions[3]
    assert len(set(frictions[4:9])) == 1 and frictions[9] != frictions[8]


def test_exact_parameter_vector_replays_a_sample() -> None:
    env = DomainRandomization(gym.make("InvertedPendulum-v5"), PENDULUM_SPEC)
    _, info = env.reset(seed=11)
    logged = info["dr"]
    env.reset(seed=99)
    _, replay = env.reset(options={"dr_values": logged})
    assert replay["dr"] == logged
    env.set_values({"body[pole].mass": 7.5})
    for _ in range(2):
        _, info = env.reset()
        assert info["dr"]["body[pole].mass"] == 7.5
    with pytest.raises(KeyError, match="not randomized by this spec"):
        env.set_values({"body[cart].mass": 1.0})


def test_a_one_off_replay_holds_for_one_episode_then_set_values_holds_again() -> None:
    env = DomainRandomization(gym.make("InvertedPendulum-v5"), {"terms": [
        _uniform("body[pole].mass", 0.5, 1.5, schedule="once"),
        _uniform("joint[hinge].damping", 0.5, 2.0),
        _uniform("geom[cpole].friction_sliding", 0.5, 1.5, schedule="every_steps", every_steps=2),
    ]})  # fmt: skip
    first = env.reset(seed=0)[1]["dr"]
    model = env.unwrapped.model
    env.set_values({"joint[hinge].damping": 3.25})
    assert env.reset()[1]["dr"]["joint[hinge].damping"] == 3.25
    replay = {"joint[hinge].damping": 0.125, "body[pole].mass": 9.0}
    _, info = env.reset(options={"dr_values": replay})
    assert (info["dr"]["joint[hinge].damping"], info["dr"]["body[pole].mass"]) == (0.125, 9.0)
    frictions = {env.step(np.zeros(1, np.float32))[4]["dr"]["geom[cpole].friction_sliding"]}
    frictions |= {env.step(np.zeros(1, np.float32))[4]["dr"]["geom[cpole].friction_sliding"]}
    assert len(frictions) == 1, "the replayed episode holds every value"
    for _ in range(2):
        _, info = env.reset()
        assert info["dr"]["joint[hinge].damping"] == 3.25
        assert model.joint("hinge").damping[0] == 3.25
    env.set_values(None)
    _, info = env.reset()
    assert info["dr"]["joint[hinge].damping"] not in (3.25, 0.125)
    assert info["dr"]["body[pole].mass"] == first["body[pole].mass"], "a once term keeps its draw"
    assert model.body("pole").mass[0] == first["body[pole].mass"]


def test_heavier_body_changes_subtree_mass_and_dynamics() -> None:
    nominal = gym.make("HalfCheetah-v5")
    env = DomainRandomization(
        gym.make("HalfCheetah-v5"), {"terms": [_fixed("body[torso].mass", 3.0, op="scale")]}
    )
    env.reset(seed=0)
    nominal.reset(seed=0)
    assert env.unwrapped.model.body_subtreemass[0] > nominal.unwrapped.model.body_subtreemass[0]
    actions = np.random.default_rng(0).uniform(-1, 1, size=(40, 6)).astype(np.float32)
    for action in actions:
        obs_dr = env.step(action)[0]
        obs_nominal = nominal.step(action)[0]
    assert np.abs(obs_dr - obs_nominal).max() > 0.1


def _period_and_decay(env: gym.Env, seconds: float = 8.0) -> tuple[float, float]:
    """Free small oscillation of the pendulum about hanging down: period and decay rate."""
    _, info = env.reset(seed=0)
    base = env.unwrapped
    base.data.joint("hinge").qpos[0] = np.pi + 0.1
    base.data.joint("hinge").qvel[0] = 0.0
    times, angles = [], []
    for step in range(int(seconds / base.dt)):
        _, _, _, _, info = env.step(np.zeros(1, np.float32))
        times.append((step + 1) * base.dt)
        angles.append(
            np.angle(np.exp(1j * (np.arctan2(info["state"][1], info["state"][0]) - np.pi)))
        )
    t, x = np.array(times), np.array(angles)
    up = np.where((x[:-1] < 0) & (x[1:] >= 0))[0]
    crossings = t[up] + (t[up + 1] - t[up]) * (-x[up]) / (x[up + 1] - x[up])
    peaks = [
        np.abs(x[(t >= a) & (t < b)]).max()
        for a, b in zip(crossings[:-1], crossings[1:], strict=True)
    ]
    decay = -np.polyfit(crossings[:-1], np.log(peaks), 1)[0]
    return float(np.diff(crossings).mean()), float(decay)


def _predicted(model: mujoco.MjModel) -> tuple[float, float]:
    """Small-oscillation period 2 pi sqrt(I / (m g l)) and decay rate c / (2 I)."""
    body = model.body("pole")
    arm = np.linalg.norm(body.ipos)
    inertia = body.inertia[1] + body.mass[0] * arm**2 + model.joint("hinge").armature[0]
    stiffness = body.mass[0] * 9.81 * arm
    return 2 * np.pi * np.sqrt(inertia / stiffness), model.joint("hinge").damping[0] / (2 * inertia)


@pytest.mark.parametrize(
    ("mass_scale", "damping"), [(1.0, 0.0), (2.5, 0.0), (1.0, 0.04), (2.5, 0.08)]
)
def test_pendulum_swings_with_the_period_and_decay_physics_predicts(
    mass_scale: float, damping: float
) -> None:
    spec = {"terms": [
        _fixed("body[pole].mass", mass_scale, op="scale"),
        _fixed("joint[hinge].damping", damping),
        _fixed("joint[hinge].frictionloss", 0.0),
    ]}  # fmt: skip
    env = simreal.make("simreal/PendulumSwingup-v0", dr=spec)
    period, decay = _period_and_decay(env)
    expected_period, expected_decay = _predicted(env.unwrapped.model)
    assert period == pytest.approx(expected_period, rel=0.01)
    assert decay == pytest.approx(expected_decay, rel=0.08, abs=0.002)


def test_heavier_pendulum_has_a_longer_period_as_predicted() -> None:
    periods, predicted = {}, {}
    for scale in (1.0, 3.0):
        spec = {"terms": [
            _fixed("body[pole].mass", scale, op="scale"),
            _fixed("joint[hinge].damping", 0.0),
            _fixed("joint[hinge].frictionloss", 0.0),
        ]}  # fmt: skip
        env = simreal.make("simreal/PendulumSwingup-v0", dr=spec)
        periods[scale] = _period_and_decay(env)[0]
        predicted[scale] = _predicted(env.unwrapped.model)[0]
    # The armature does not scale with the mass, so a heavier bob swings a little faster.
    assert periods[3.0] < periods[1.0] * 0.995
    assert periods[3.0] / periods[1.0] == pytest.approx(predicted[3.0] / predicted[1.0], rel=0.003)


def test_visual_randomization_changes_images_reproducibly() -> None:
    env = simreal.make("simreal/ReachPixels-v0", dr="default", image_size=48)
    first, info = env.reset(seed=1)
    second, _ = env.reset(seed=2)
    again, _ = env.reset(seed=1)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first.astype(int) - second.astype(int)).mean() > 5.0
    assert info["dr"]["material[table_mat].texture"] in (0.0, 1.0, 2.0)


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped")
@pytest.mark.filterwarnings("ignore:.*is not within the observation space")
@pytest.mark.parametrize("env_id", NOMINAL_IDS)
def test_every_task_ships_a_default_spec_that_passes_the_env_checker(env_id: str) -> None:
    env = simreal.make(env_id, dr="default", width=1.0)
    check_env(env)
    _, info = env.reset(seed=0)
    assert len(info["dr"]) >= 5


def test_yaml_spec_on_gymnasium_half_cheetah(tmp_path: Path) -> None:
    path = tmp_path / "cheetah.yaml"
    path.write_text(
        "terms:\n"
        "  - {param: 'body[torso].mass', op: scale, distribution: uniform, low: 0.5, high: 1.5}\n"
        "  - param: geom[floor].friction_sliding\n"
        "    op: scale\n"
        "    distribution: log_uniform\n"
        "    low: 0.5\n"
        "    high: 2\n"
        "  - {param: 'actuator[bthigh].gear', op: scale, distribution: uniform, low: 0.8,\n"
        "     high: 1.2}\n"
        "  - {param: latency.action, op: set, distribution: uniform, low: 0.0, high: 0.05}\n"
    )
    env = simreal.make("HalfCheetah-v5", dr=path)
    _, info = env.reset(seed=0)
    assert set(info["dr"]) >= {"body[torso].mass", "latency.action", "actuator[bthigh].gear"}
    assert env.unwrapped.model.body("torso").mass[0] == pytest.approx(
        info["dr"]["body[torso].mass"]
    )


def test_bad_width_and_env_without_a_model() -> None:
    with pytest.raises(ValueError, match="width must be a finite number >= 0"):
        DomainRandomization(gym.make("InvertedPendulum-v5"), PENDULUM_SPEC, width=-1.0)
    with pytest.raises(ValueError, match="holds a MuJoCo model"):
        DomainRandomization(gym.make("CartPole-v1"), PENDULUM_SPEC)
    with pytest.raises(ValueError, match="no default domain-randomization spec"):
        simreal.make("InvertedPendulum-v5", dr="default")

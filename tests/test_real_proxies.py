"""The real proxies differ from their nominal tasks in parameters and in effects."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from tests.conftest import STATE_TASKS


@pytest.mark.parametrize("task", STATE_TASKS, ids=lambda t: t.env_id)
def test_proxy_has_other_masses_and_an_unmodelled_effect(task) -> None:  # noqa: ANN001
    nominal = gym.make(task.env_id).unwrapped
    real = gym.make(task.real_id).unwrapped
    assert real.dt == pytest.approx(nominal.dt), "the control period must not change"
    assert not np.allclose(real.model.body_mass, nominal.model.body_mass)
    assert np.all(real.model.actuator_delay > 0) and np.all(nominal.model.actuator_delay == 0)


@pytest.mark.parametrize("task", STATE_TASKS, ids=lambda t: t.env_id)
def test_same_actions_give_other_trajectories_on_the_proxy(task) -> None:  # noqa: ANN001
    nominal, real = gym.make(task.env_id), gym.make(task.real_id)
    _, info_n = nominal.reset(seed=5)
    _, info_r = real.reset(seed=5)
    rng = np.random.default_rng(0)
    gap = 0.0
    for _ in range(30):
        action = rng.uniform(nominal.action_space.low, nominal.action_space.high).astype(np.float32)
        _, _, term_n, _, info_n = nominal.step(action)
        _, _, term_r, _, info_r = real.step(action)
        gap = max(gap, float(np.abs(info_n["state"] - info_r["state"]).max()))
        if term_n or term_r:
            break
    assert gap > 1e-2


def test_heavier_pendulum_really_swings_slower() -> None:
    """A mass change by name is a real change of the dynamics (derived constants updated)."""
    light = gym.make("simreal/PendulumSwingup-v0").unwrapped
    heavy = gym.make("simreal/PendulumSwingup-v0").unwrapped
    heavy.model.body("pole").mass[:] *= 3.0
    heavy.model.body("pole").inertia[:] *= 3.0
    for env in (light, heavy):
        env.reset(seed=0)
    full_torque = np.ones(1, dtype=np.float32)
    for _ in range(10):
        obs_light, *_ = light.step(full_torque)
        obs_heavy, *_ = heavy.step(full_torque)
    assert abs(obs_heavy[2]) < 0.6 * abs(obs_light[2])

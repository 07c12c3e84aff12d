"""Every registered id passes Gymnasium's and Stable-Baselines3's env checkers and
behaves deterministically under seeding."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from tests.conftest import ALL_IDS


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_gymnasium_check_env(env_id: str) -> None:
    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the checker's notes on e.g. unbounded Box spaces
        check_env(env.unwrapped, skip_render_check=False)
    env.close()


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_stable_baselines3_check_env(env_id: str) -> None:
    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sb3_check_env(env, warn=False)
    env.close()


def _random_rollout(env_id: str, seed: int, steps: int = 60) -> tuple[np.ndarray, np.ndarray]:
    env = gym.make(env_id)
    env.action_space.seed(seed)
    obs, info = env.reset(seed=seed)
    observations, rewards = [obs], []
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        observations.append(obs)
        rewards.append(reward)
        assert np.all(np.isfinite(info["state"]))
        assert all(np.isfinite(v) for k, v in info.items() if k.startswith("reward_"))
        if terminated or truncated:
            obs, info = env.reset()
            observations.append(obs)
    env.close()
    return np.array(observations), np.array(rewards)


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_seeded_random_rollout_is_finite_and_reproducible(env_id: str) -> None:
    obs_a, rew_a = _random_rollout(env_id, seed=7)
    obs_b, rew_b = _random_rollout(env_id, seed=7)
    obs_c, _ = _random_rollout(env_id, seed=8, steps=1)
    assert np.all(np.isfinite(obs_a.astype(np.float64)))
    assert np.all(np.isfinite(rew_a))
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(rew_a, rew_b)
    assert not np.array_equal(obs_a[0], obs_c[0]), "different seeds gave the same initial state"


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_reward_is_the_sum_of_its_terms(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(env.action_space.sample())
    terms = [v for k, v in info.items() if k.startswith("reward_")]
    assert terms, "no reward terms in info"
    assert reward == pytest.approx(sum(terms))
    assert isinstance(info["is_success"], bool)
    env.close()

"""Offscreen rendering and the pixel variants."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from tests.conftest import NOMINAL_IDS, PIXEL_TASKS


@pytest.mark.parametrize("env_id", NOMINAL_IDS)
def test_rendered_frame_is_an_image_of_the_scene(env_id: str) -> None:
    env = gym.make(env_id, render_mode="rgb_array", width=160, height=120)
    env.reset(seed=0)
    frame = env.render()
    env.close()
    assert frame.shape == (120, 160, 3)
    assert frame.dtype == np.uint8
    assert frame.std() > 5.0, "rendered frame is (nearly) constant"


@pytest.mark.parametrize("task", PIXEL_TASKS, ids=lambda t: t.env_id)
def test_pixel_observation_has_documented_shape_and_shows_the_scene(task) -> None:  # noqa: ANN001
    env = gym.make(task.env_id)
    assert env.observation_space.shape == (84, 84, 3)
    assert env.observation_space.dtype == np.uint8
    obs_a, info = env.reset(seed=0)
    obs_b, _ = env.reset(seed=1)
    assert obs_a.shape == (84, 84, 3) and obs_a.dtype == np.uint8
    assert obs_a.std() > 5.0
    assert np.abs(obs_a.astype(int) - obs_b.astype(int)).sum() > 0, "new goal/target not visible"
    assert info["state"].shape == env.unwrapped.state_space.shape
    env.close()


@pytest.mark.parametrize("task", PIXEL_TASKS, ids=lambda t: t.env_id)
def test_pixel_variant_image_size_is_configurable(task) -> None:  # noqa: ANN001
    env = gym.make(task.env_id, image_size=48)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (48, 48, 3)
    env.close()


@pytest.mark.parametrize("task", PIXEL_TASKS, ids=lambda t: t.env_id)
def test_pixel_variant_has_the_physics_of_its_state_variant(task) -> None:  # noqa: ANN001
    state_id = task.env_id.replace("Pixels", "")
    pixels, state = gym.make(task.env_id), gym.make(state_id)
    _, info_p = pixels.reset(seed=3)
    obs_s, _ = state.reset(seed=3)
    np.testing.assert_array_equal(info_p["state"], obs_s)
    for _ in range(5):
        action = pixels.action_space.sample()
        _, _, _, _, info_p = pixels.step(action)
        obs_s, _, _, _, _ = state.step(action)
        np.testing.assert_array_equal(info_p["state"], obs_s)

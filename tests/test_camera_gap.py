"""The pixel proxies' visual reality gap: other frames, the same dynamics, seeded noise."""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

from typing import ClassVar

import gymnasium as gym
import mujoco
import numpy as np
import pytest
import yaml

import simreal  # noqa: F401  (registers the tasks)
from simreal.envs.camera_gap import CameraGap, ProceduralTexture
from simreal.envs.push.real import PushRealEnv
from simreal.envs.reach.real import ReachRealEnv
from simreal.envs.registry import task_for

SIZE = 24


class ReachRealWithoutGap(ReachRealEnv):
    """The Reach proxy with a nominal camera."""

    camera_gap: ClassVar[CameraGap | None] = None


class PushRealWithoutGap(PushRealEnv):
    """The Push proxy with a nominal camera."""

    camera_gap: ClassVar[CameraGap | None] = None


class ReachRealSceneOnly(ReachRealEnv):
    """The Reach proxy's scene, seen by a perfect sensor."""

    camera_gap: ClassVar[CameraGap | None] = CameraGap(
        texture=ReachRealEnv.camera_gap.texture, scene=ReachRealEnv.camera_gap.scene
    )


def rollout(env: gym.Env, seed: int, steps: int = 15) -> tuple[list, list, list]:
    """Images, privileged states and joint positions of a seeded rollout of fixed actions."""
    actions = np.random.default_rng(7).uniform(-1, 1, size=(steps, *env.action_space.shape))
    obs, info = env.reset(seed=seed)
    images, states, qpos = [obs], [info["state"]], [env.unwrapped.data.qpos.copy()]
    for action in actions:
        obs, _, _, _, info = env.step(action)
        images.append(obs)
        states.append(info["state"])
        qpos.append(env.unwrapped.data.qpos.copy())
    return images, states, qpos


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("task", ["ReachPixels", "PushPixels"])
def test_the_proxy_frame_differs_from_the_nominal_render_of_the_same_state(task: str) -> None:
    nominal = gym.make(f"simreal/{task}-v0", image_size=SIZE).unwrapped
    real = gym.make(f"simreal/{task}Real-v0", image_size=SIZE).unwrapped
    nominal.reset(seed=0)
    real.reset(seed=0)
    real.set_state(nominal.data.qpos.copy(), nominal.data.qvel.copy())
    mocap = nominal.data.mocap_pos.copy()
    real.data.mocap_pos[:] = mocap
    mujoco.mj_forward(real.model, real.data)
    same_state = nominal.render_camera(SIZE, SIZE)
    assert difference(same_state, nominal.render_camera(SIZE, SIZE)) == 0.0  # renders repeat
    assert difference(real.render_camera(SIZE, SIZE), same_state) > 10.0
    # ... and the sensor adds its blur, noise and compression on top of the scene's gap.
    rendered = real.render_camera(SIZE, SIZE)
    sensed = real.camera_gap.sense(rendered, np.random.default_rng(0))
    assert sensed.shape == rendered.shape and sensed.dtype == np.uint8
    assert difference(sensed, rendered) > 1.0


@pytest.mark.parametrize(
    ("proxy", "plain"), [(ReachRealEnv, ReachRealWithoutGap), (PushRealEnv, PushRealWithoutGap)]
)
def test_the_visual_gap_leaves_the_state_trajectory_unchanged(proxy: type, plain: type) -> None:
    with_gap = proxy(obs_type="pixels", image_size=SIZE)
    without = plain(obs_type="pixels", image_size=SIZE)
    images, states, qpos = rollout(with_gap, seed=3)
    plain_images, plain_states, plain_qpos = rollout(without, seed=3)
    np.testing.assert_array_equal(np.array(states), np.array(plain_states))
    np.testing.assert_array_equal(np.array(qpos), np.array(plain_qpos))
    assert min(difference(a, b) for a, b in zip(images, plain_images, strict=True)) > 10.0


def test_the_cameras_noise_repeats_with_the_seed_and_differs_across_seeds() -> None:
    env = ReachRealEnv(obs_type="pixels", image_size=SIZE)
    first, _, _ = rollout(env, seed=5, steps=3)
    again, _, _ = rollout(env, seed=5, steps=3)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    scene_only = ReachRealSceneOnly(obs_type="pixels", image_size=SIZE)
    clean = scene_only.reset(seed=5)[0]
    # The observation carries the sensor's blur, noise and compression.
    assert difference(env.reset(seed=5)[0], clean) > 1.0
    # Same scene and state, other seed: only the sensor noise differs.
    env.reset(seed=5)
    noisy_5 = env.camera_gap.sense(clean, env.camera_rng())
    env.reset(seed=6)
    noisy_6 = env.camera_gap.sense(clean, env.camera_rng())
    assert difference(noisy_5, noisy_6) > 1.0


def test_the_proxys_table_texture_and_colours_are_outside_the_visual_dr() -> None:
    for task, env_class in (("ReachPixels", ReachRealEnv), ("PushPixels", PushRealEnv)):
        spec = yaml.safe_load(task_for(f"simreal/{task}-v0").default_spec_path.read_text())
        choices = {
            value
            for term in spec["terms"]
            if term["param"].endswith(".texture")
            for value in term["values"]
        }
        gap = env_class.camera_gap
        assert gap.texture.name not in choices and choices
        model = env_class(obs_type="pixels", image_size=SIZE).model
        material = model.material(gap.texture.material)
        texture = model.texture(gap.texture.name).id
        assert material.texid[mujoco.mjtTextureRole.mjTEXROLE_RGB] == texture


def test_a_gap_naming_what_the_model_lacks_is_refused_by_name() -> None:
    class Wrong(ReachRealEnv):
        camera_gap: ClassVar[CameraGap | None] = CameraGap(
            scene={"camera[fronts].fovy": ("scale", (1.1,))}
        )

    with pytest.raises(ValueError, match="fronts"):
        Wrong(obs_type="pixels", image_size=SIZE)
    with pytest.raises(ValueError, match="op must be one of"):
        CameraGap(scene={"camera[front].fovy": ("times", (1.1,))})
    texture = ProceduralTexture("no_such_mat", "t", "checker", (0, 0, 0), (1, 1, 1))

    class NoMaterial(ReachRealEnv):
        camera_gap: ClassVar[CameraGap | None] = CameraGap(texture=texture)

    with pytest.raises(ValueError, match="no_such_mat"):
        NoMaterial(obs_type="pixels", image_size=SIZE)


def test_proprioception_is_what_the_proxys_encoders_report() -> None:
    env = ReachRealEnv(obs_type="pixels_proprio", image_size=SIZE)
    obs, _ = env.reset(seed=2)
    assert set(obs) == {"pixels", "proprio"} and obs["pixels"].shape == (SIZE, SIZE, 3)
    for _ in range(5):
        obs, *_ = env.step(env.action_space.sample())
    joints = env.sensor_joints
    true = np.array([env.data.joint(j).qpos[0] for j in joints])
    offsets = np.array([env.encoder_offsets[j] for j in joints])
    # The encoders' offsets and 2 mrad noise, not the simulator's angles.
    np.testing.assert_allclose(obs["proprio"][:3], true + offsets, atol=0.01)
    assert np.abs(obs["proprio"][:3] - true).max() > 0.02

"""Visual terms apart from the dynamics: dropped, or redrawn within an episode."""

from __future__ import annotations

import doctest
import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np

import simreal
from simreal.envs.registry import task_for
from simreal.randomization import load_spec, visual_terms
from simreal.randomization.visual_terms import visual_every, without_visual

TASK = "simreal/ReachPixels-v0"


def spec():
    return load_spec(task_for(TASK).default_spec_path)


def test_redrawn_every_step_the_look_changes_within_an_episode_and_the_physics_does_not() -> None:
    env = simreal.make(TASK, dr=visual_every(spec(), 1), image_size=36)
    env.reset(seed=0)
    model = env.unwrapped.model
    camera, mass = model.camera("front").pos.copy(), model.body("upper_arm").mass.copy()
    looks = []
    for _ in range(3):
        env.step(np.zeros(3, np.float32))
        looks.append(model.camera("front").pos.copy())
        np.testing.assert_array_equal(model.body("upper_arm").mass, mass)  # drawn at reset
    assert not np.allclose(looks[0], camera) and not np.allclose(looks[1], looks[0])
    # As the spec says (at each reset), the camera stays for the episode.
    env = simreal.make(TASK, dr=spec(), image_size=36)
    env.reset(seed=0)
    camera = env.unwrapped.model.camera("front").pos.copy()
    env.step(np.zeros(3, np.float32))
    np.testing.assert_array_equal(env.unwrapped.model.camera("front").pos, camera)


def test_without_visual_keeps_exactly_the_dynamics() -> None:
    kinds = {t.param.kind for t in without_visual(spec()).terms}
    assert kinds == {"body", "actuator", "joint", "effect"}
    assert len(without_visual(spec()).terms) == 9  # the nine terms of Reach's dr.yaml


def test_the_doctest_runs() -> None:
    assert doctest.testmod(visual_terms).failed == 0

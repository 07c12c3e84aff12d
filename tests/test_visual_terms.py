"""Visual terms apart from the dynamics: dropped, or redrawn within an episode."""

from __future__ import annotations

import doctest
import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
import pytest

import simreal
from simreal.envs.registry import task_for
from simreal.randomization import BoundSpec, DRSpec, SpecError, load_spec, parse_spec, visual_terms
from simreal.randomization.visual_terms import (
    is_visual,
    visual_every,
    visual_width,
    without_visual,
)

TASK = "simreal/ReachPixels-v0"


def spec() -> DRSpec:
    return load_spec(task_for(TASK).default_spec_path)


def draws(dr: DRSpec, seed: int) -> dict[str, np.ndarray]:
    """One draw of the model's terms (latency, an effect of the env's wrappers, left out)."""
    model = simreal.make(TASK, image_size=36).unwrapped.model
    dr = dr.with_terms([t for t in dr.terms if t.param.kind != "effect"])
    return BoundSpec(dr, model).sample(np.random.default_rng(seed), width=1.0)


def test_visual_width_widens_the_look_alone_and_zero_keeps_it_nominal() -> None:
    base, wide = draws(spec(), 3), draws(visual_width(spec(), 2.0), 3)
    none = draws(visual_width(spec(), 0.0), 3)
    # The same underlying draws: a visual term's offset doubles, a dynamics term stays.
    np.testing.assert_allclose(wide["camera[front].pos"] - base["camera[front].pos"],
                               base["camera[front].pos"] - none["camera[front].pos"])  # fmt: skip
    assert not np.allclose(wide["camera[front].pos"], base["camera[front].pos"])
    np.testing.assert_array_equal(wide["body[upper_arm].mass"], base["body[upper_arm].mass"])
    np.testing.assert_array_equal(none["body[upper_arm].mass"], base["body[upper_arm].mass"])
    # At factor 0 the texture choice keeps its centre (the nominal) on every draw.
    textures = {float(draws(visual_width(spec(), 0.0), s)["material[table_mat].texture"][0])
                for s in range(20)}  # fmt: skip
    assert len(textures) == 1
    assert visual_width(spec(), 2.0).to_dict()["terms"][-1]["width_factor"] == 2.0


def test_a_negative_width_factor_is_named() -> None:
    term = {"param": "body[arm].mass", "distribution": "uniform", "low": 0.9, "high": 1.1,
            "width_factor": -1}  # fmt: skip
    with pytest.raises(SpecError, match=r"body\[arm\].mass\): width_factor must be >= 0"):
        parse_spec({"terms": [term]})


def test_a_geoms_colour_is_visual_and_its_friction_is_not() -> None:
    terms = parse_spec({"terms": [
        {"param": "geom[floor].rgba", "op": "add", "distribution": "normal", "mean": 0, "std": 0.1},
        {"param": "geom[floor].friction", "distribution": "uniform", "low": 0.5, "high": 1.5},
    ]}).terms  # fmt: skip
    assert [is_visual(t) for t in terms] == [True, False]


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

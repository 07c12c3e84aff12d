"""The friction in effect between randomized geoms, checked against MuJoCo's own contacts."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

import simreal
from simreal.randomization.contacts import ContactFriction

# Spheres resting on a floor, one per rule of MuJoCo's contact-parameter mixing.
BALLS_XML = """
<mujoco>
  <worldbody>
    <geom name="floor" type="plane" size="2 2 0.1" friction="0.6 0.01 0.002"/>
    <body name="same" pos="-0.8 0 0.095"><freejoint/>
      <geom name="same" type="sphere" size="0.1" friction="0.4 0.03 0.001"/></body>
    <body name="high" pos="-0.4 0 0.095"><freejoint/>
      <geom name="high" type="sphere" size="0.1" priority="1" friction="0.2 0.001 0.0001"/></body>
    <body name="low" pos="0 0 0.095"><freejoint/>
      <geom name="low" type="sphere" size="0.1" priority="-1" friction="0.9 0.05 0.01"
            condim="6"/></body>
    <body name="full" pos="0.4 0 0.095"><freejoint/>
      <geom name="full" type="sphere" size="0.1" condim="6" friction="0.3 0.02 0.004"/></body>
    <body name="frictionless" pos="0.8 0 0.095"><freejoint/>
      <geom name="frictionless" type="sphere" size="0.1" condim="1" priority="2"/></body>
    <body name="paired" pos="1.2 0 0.095"><freejoint/>
      <geom name="paired" type="sphere" size="0.1" friction="2 0.1 0.01"/></body>
    <body name="ghost" pos="1.6 0 0.095"><freejoint/>
      <geom name="ghost" type="sphere" size="0.1" contype="2" conaffinity="2"/></body>
  </worldbody>
  <contact>
    <pair geom1="paired" geom2="floor" condim="4" friction="0.7 0.7 0.02 0.001 0.001"/>
  </contact>
</mujoco>
"""
BALLS = ("same", "high", "low", "full", "frictionless", "paired", "ghost")
ACTIVE = {1: 0, 3: 1, 4: 2, 6: 3}


def _mujoco_friction(model: mujoco.MjModel, data: mujoco.MjData) -> dict[frozenset, np.ndarray]:
    """Per touching geom pair, the (sliding, torsional, rolling) friction MuJoCo's contact uses."""
    out = {}
    for con in data.contact[: data.ncon]:
        friction = np.array(con.friction)[[0, 2, 3]]
        friction[ACTIVE[int(con.dim)] :] = 0.0
        out[frozenset(int(g) for g in con.geom)] = friction
    return out


def test_friction_in_effect_is_the_one_mujocos_contacts_use() -> None:
    model = mujoco.MjModel.from_xml_string(BALLS_XML)
    data = mujoco.MjData(model)
    ids = ["geom[floor].friction", *(f"geom[{b}].friction" for b in BALLS)]
    contacts = ContactFriction(model, ids)
    floor = model.geom("floor").id
    reported = {frozenset(p.geoms): row for row, p in enumerate(contacts.pairs)}
    assert frozenset((floor, model.geom("ghost").id)) not in reported, "contype filters it"
    rng = np.random.default_rng(0)
    nominal = model.geom_friction.copy()
    for _ in range(20):
        model.geom_friction[:] = nominal * rng.uniform(0.2, 3.0, nominal.shape)
        mujoco.mj_forward(model, data)
        made = _mujoco_friction(model, data)
        assert len(made) == len(BALLS) - 1
        effective = contacts.effective(model.geom_friction)
        for pair, friction in made.items():
            np.testing.assert_array_equal(effective[reported[pair]], friction)
    # The rules, in numbers (last draw): a pair's own values; no friction at condim 1.
    paired = reported[frozenset((floor, model.geom("paired").id))]
    np.testing.assert_array_equal(effective[paired], [0.7, 0.02, 0.0])
    frictionless = reported[frozenset((floor, model.geom("frictionless").id))]
    np.testing.assert_array_equal(effective[frictionless], [0.0, 0.0, 0.0])


def test_push_reports_the_block_table_friction_in_effect() -> None:
    env = simreal.make("simreal/Push-v0", dr="default")
    model, data = env.unwrapped.model, env.unwrapped.data
    block, table = model.geom("block").id, model.geom("table").id
    larger_than_block = 0
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        env.step(obs[:2].astype(np.float32))  # hold the pusher; the block settles on the table
        dr = info["dr"]
        effective = dr["contact[block,table].friction_sliding"]
        draws = (dr["geom[block].friction_sliding"], dr["geom[table].friction_sliding"])
        assert effective == max(draws)
        larger_than_block += effective > draws[0]
        # The pusher tip has priority 1: its 0.3 holds whatever the block's friction.
        assert dr["contact[block,pusher_tip].friction_sliding"] == 0.3
        touching = [c for c in data.contact[: data.ncon] if {*c.geom} == {block, table}]
        assert touching, "the block rests on the table"
        assert all(c.friction[0] == effective for c in touching)
    assert 5 <= larger_than_block <= 15, "the table's draw wins about half the time"


def test_derived_contact_values_are_ignored_on_replay() -> None:
    env = simreal.make("simreal/Push-v0", dr="default")
    _, logged = env.reset(seed=3)
    env.reset(seed=4)
    _, replay = env.reset(options={"dr_values": logged["dr"]})
    assert replay["dr"] == logged["dr"]
    with pytest.raises(KeyError, match="not randomized by this spec"):
        env.reset(options={"dr_values": {"geom[pusher_tip].friction_sliding": 1.0}})

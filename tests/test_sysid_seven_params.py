"""Seven parameters at once: a mass, a damping, an armature, a frictionloss, a contact
friction, an actuator gear and the action latency, on an identification rig.

The rig (``assets/sysid_rig.xml``) is an arm with a known motor gear beside a sled of known
mass pushed across the floor by a motor of unknown gear: gravity fixes the arm's scale, the
sled's weight fixes both its Coulomb friction (mu m g) and its motor gear. The log holds the
arm angle and the sled position (encoders), not the sled's vertical bounce. Initial guesses
are the model's own values, every hidden value differs from them, and ``fit`` runs with its
defaults.
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from simreal.asset_paths import asset_path
from simreal.parameters import bind
from simreal.sysid.excitation import excitation, record
from simreal.sysid.fit import fit
from simreal.sysid.problem import FitParam
from simreal.sysid.recording import Recording

HIDDEN = {
    "body[arm].mass": 1.3,
    "joint[shoulder].damping": 0.12,
    "joint[shoulder].armature": 0.02,
    "joint[shoulder].frictionloss": 0.04,
    "geom[sled].friction_sliding": 0.1,
    "actuator[sled_motor].gear": 3.0,
}
LATENCY = 0.03
PARAMS = [
    FitParam("body[arm].mass", 0.5, 3.0),
    FitParam("joint[shoulder].damping", 0.0, 1.0),
    FitParam("joint[shoulder].armature", 0.0, 0.1),
    FitParam("joint[shoulder].frictionloss", 0.0, 0.2),
    FitParam("geom[sled].friction_sliding", 0.02, 0.5),
    FitParam("actuator[sled_motor].gear", 0.5, 10.0),
    FitParam("latency.action", 0.0, 0.1),
]
TRUTH = {**HIDDEN, "latency.action": LATENCY}
MEASURED = ("shoulder", "sled_x")
DT = 0.01  # a 100 Hz log


def _rig() -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_path(str(asset_path("sysid_rig.xml")))


def _recording(seed: int = 0, noise: float = 0.0, seconds: float = 20.0) -> Recording:
    """A multisine on both motors, logged at 100 Hz: arm angle and sled position only."""
    model = _rig()
    rng = np.random.default_rng(seed)
    commands = excitation("multisine", seconds, DT, model.actuator_ctrlrange, rng)
    full = record(model, commands, DT, HIDDEN, LATENCY, noise, rng)
    return Recording(
        full.time,
        full.ctrl,
        {name: full.qpos[name] for name in MEASURED},
        {name: full.qvel[name] for name in MEASURED},
        source=f"rig seed {seed}",
    )


def test_hidden_values_differ_from_the_nominal_ones_that_start_the_fit() -> None:
    model = _rig()
    for pid, value in HIDDEN.items():
        nominal = float(bind(pid, model).nominal[0])
        assert abs(value / nominal - 1) >= 0.15, pid


def test_noise_free_fit_recovers_all_seven_within_one_percent() -> None:
    model = _rig()
    result = fit(model, PARAMS, [_recording()], progress=None)
    for p, start in zip(result.params, result.initial, strict=True):
        if p.id != "latency.action":  # nominal 0 lies on the bound: started 5% inside
            assert start == pytest.approx(float(bind(p.id, model).nominal[0])), p.id
    for p, value in zip(result.params, result.values, strict=True):
        assert value == pytest.approx(TRUTH[p.id], rel=0.01), p.id
    # Not 0: each segment starts the unlogged vertical joint at rest, the sled mid-bounce.
    assert result.rms_after < 1e-3 < 0.05 < result.rms_before
    assert not any("do not separate" in w for w in result.warnings), result.warnings


@pytest.mark.slow
def test_noisy_fit_is_within_five_percent_and_intervals_cover_the_truth() -> None:
    covered, total = 0, 0
    for seed in range(3):
        result = fit(_rig(), PARAMS, [_recording(seed, noise=0.005)], progress=None)
        low, high = result.ci95
        for i, p in enumerate(result.params):
            assert result.values[i] == pytest.approx(TRUTH[p.id], rel=0.05), (seed, p.id)
            covered += int(low[i] <= TRUTH[p.id] <= high[i])
            total += 1
    assert covered / total >= 0.9, f"95% intervals covered the truth {covered}/{total} times"

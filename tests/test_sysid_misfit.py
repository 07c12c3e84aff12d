"""A model that cannot follow the log is reported, its errors widened; saturation can be fitted."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from simreal.asset_paths import asset_path
from simreal.parameters import bind
from simreal.sysid.excitation import excitation, record
from simreal.sysid.fit import fit
from simreal.sysid.misfit import correlation_time, noise_floor
from simreal.sysid.problem import FitParam

HIDDEN = {"body[pole].mass": 1.3, "joint[hinge].damping": 0.12, "joint[hinge].frictionloss": 0.04}
PARAMS = [
    FitParam("body[pole].mass", 0.5, 3.0),
    FitParam("joint[hinge].damping", 0.0, 1.0),
    FitParam("joint[hinge].frictionloss", 0.0, 0.2),
    FitParam("latency.action", 0.0, 0.1),
]
LIMIT = FitParam("actuator[torque].forcelimit", 0.2, 2.5)


def _pendulum() -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_path(str(asset_path("pendulum.xml")))


def _log(saturation: float | None, seconds: float = 12.0):  # noqa: ANN202
    """The pendulum, 0.5% sensor noise, its motor saturating at ``saturation`` N m or not."""
    plant = dict(HIDDEN)
    if saturation is not None:
        plant["actuator[torque].forcelimit"] = saturation
    model = _pendulum()
    rng = np.random.default_rng(0)
    commands = excitation("multisine", seconds, 0.01, model.actuator_ctrlrange, rng)
    return record(model, commands, 0.01, plant, 0.03, 0.005, rng, qpos0=np.array([np.pi]))


def test_the_noise_floor_is_the_white_noise_under_a_smooth_motion() -> None:
    rng = np.random.default_rng(0)
    time = np.arange(2000) * 0.01
    smooth = np.sin(2 * np.pi * 0.7 * time) + 0.3 * np.sin(2 * np.pi * 3.1 * time)
    assert noise_floor(smooth + 0.01 * rng.normal(size=time.size)) == pytest.approx(0.01, rel=0.1)
    assert noise_floor(smooth) < 0.1 * 0.01  # a 3 Hz motion leaks 5e-4 into the floor
    assert noise_floor(np.round(smooth / 0.001) * 0.001) > 0  # a quantised encoder
    assert correlation_time(rng.normal(size=4000)) < 1.3
    assert correlation_time(np.convolve(rng.normal(size=4000), np.ones(20), "same")) > 10


def test_the_force_limit_parameter_clips_the_actuator_force() -> None:
    model = _pendulum()
    param = bind("actuator[torque].forcelimit", model)
    assert param.nominal[0] == pytest.approx(abs(model.actuator_gainprm[0, 0]) * 1.0)
    param.write(model, np.array([0.3]))
    data = mujoco.MjData(model)
    data.ctrl[0] = 1.0
    mujoco.mj_forward(model, data)
    assert data.actuator_force[0] == pytest.approx(0.3)


def test_a_saturating_plant_fitted_without_its_limit_is_reported_and_widened() -> None:
    result = fit(_pendulum(), PARAMS, [_log(saturation=0.48)], progress=None)
    (warning,) = [w for w in result.warnings if "cannot follow" in w]
    assert "qpos:hinge" in warning and "forcelimit" in warning
    assert result.misfit.ratio[0] > 2 and result.misfit.inflation > 3
    # The reported errors carry the widening: the Jacobian's alone are smaller by its factor.
    assert result.std_errors[0] > 3 * 0.0013
    # The widened intervals hold the damping and friction loss, not the biased mass or latency.
    low, high = result.ci95
    truth = [*HIDDEN.values(), 0.03]
    inside = [bool(lo <= t <= hi) for lo, t, hi in zip(low, truth, high, strict=True)]
    assert inside == [False, True, True, False]


def test_fitting_the_limit_recovers_the_plant_and_clears_the_report() -> None:
    result = fit(_pendulum(), [*PARAMS, LIMIT], [_log(saturation=0.48)], progress=None)
    values = result.as_dict()
    assert values["actuator[torque].forcelimit"] == pytest.approx(0.48, rel=0.01)
    for pid, truth in HIDDEN.items():
        assert values[pid] == pytest.approx(truth, rel=0.05), pid
    assert not result.misfit.flagged and result.misfit.inflation == 1.0
    assert not any("cannot follow" in w for w in result.warnings)


def test_a_right_model_sits_on_the_noise_floor() -> None:
    result = fit(_pendulum(), PARAMS, [_log(saturation=None)], progress=None)
    assert result.misfit.ratio[0] == pytest.approx(1.0, abs=0.2)
    assert not any("cannot follow" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("proxy", "flagged"),
    [("PendulumSwingupReal-v0", False), ("PendulumSwingupSaturatedReal-v0", True)],
)
def test_a_proxys_unmodelled_saturation_shows_in_the_residuals_structure(
    proxy: str, flagged: bool
) -> None:
    """Under the 0.01 rad encoder the clipping stays near the floor, but its residual repeats."""
    import gymnasium as gym

    from simreal.envs.registry import task_for
    from simreal.sysid.excitation import record_env
    from simreal.sysid.problem import load_params

    env = gym.make(f"simreal/{proxy}")
    rng = np.random.default_rng(0)
    commands = excitation("multisine", 20.0, float(env.unwrapped.dt),
                          env.unwrapped.model.actuator_ctrlrange, rng)  # fmt: skip
    log = record_env(env, commands, seed=0, rng=rng)
    task = "simreal/PendulumSwingup-v0"
    params = load_params(task_for(task).default_spec_path.with_name("sysid.yaml"))
    result = fit(gym.make(task).unwrapped.model, params, [log], progress=None)
    assert result.misfit.ratio.max() < 2  # the size of the residual alone would not tell
    assert result.misfit.flagged == flagged
    assert any("cannot follow" in w for w in result.warnings) == flagged

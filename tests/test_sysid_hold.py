"""The log's command convention (held or interpolated) and what a latency means."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mujoco
import numpy as np
import pytest
import yaml

from simreal.asset_paths import asset_path
from simreal.sysid.excitation import excitation, record
from simreal.sysid.fit import fit
from simreal.sysid.hold_check import HoldComparison
from simreal.sysid.problem import FitParam
from simreal.sysid.replay import ControlSignal
from tests.conftest import run_cli

HIDDEN = {"body[pole].mass": 1.3, "joint[hinge].damping": 0.12}
PARAMS = [FitParam("body[pole].mass", 0.5, 3.0), FitParam("joint[hinge].damping", 0.0, 1.0),
          FitParam("latency.action", 0.0, 0.1)]  # fmt: skip


def _arm(timestep: float = 0.002) -> mujoco.MjModel:
    """The pendulum simulated at 2 ms, to be logged at 10 ms."""
    model = mujoco.MjModel.from_xml_path(str(asset_path("pendulum.xml")))
    model.opt.timestep = timestep
    return model


def _log(hold: str, noise: float = 0.0, seconds: float = 10.0, model=None):  # noqa: ANN001, ANN202
    model = model if model is not None else _arm()
    rng = np.random.default_rng(0)
    commands = excitation("multisine", seconds, 0.01, model.actuator_ctrlrange, rng)
    return record(model, commands, 0.01, HIDDEN, 0.02, noise, rng, np.array([np.pi]), hold=hold)


def test_a_linear_signal_averages_each_step_to_its_midpoint() -> None:
    time = np.array([0.0, 0.01, 0.02])
    commands = np.array([[0.0], [1.0], [-1.0]])
    held = ControlSignal(time, commands, "zoh").averaged(0.0, 6, 0.005, 0.0)[:, 0]
    ramped = ControlSignal(time, commands, "linear").averaged(0.0, 6, 0.005, 0.0)[:, 0]
    np.testing.assert_allclose(held, [0, 0, 1, 1, -1, -1])
    np.testing.assert_allclose(ramped, [0.25, 0.75, 0.5, -0.5, -1, -1])
    # Delayed by a quarter step: the ramp's average moves continuously.
    late = ControlSignal(time, commands, "linear").averaged(0.0, 2, 0.005, 0.00125)[:, 0]
    np.testing.assert_allclose(late, [0.140625, 0.625])


def test_an_interpolating_plant_fitted_as_held_is_half_a_period_late_and_warned() -> None:
    log = _log("linear")
    as_held = fit(_arm(), PARAMS, [dataclasses.replace(log, hold="zoh")], progress=None)
    assert as_held.as_dict()["latency.action"] == pytest.approx(0.015, abs=3e-4)  # biased
    low, high = as_held.ci95
    assert not low[2] <= 0.02 <= high[2]  # and its interval misses the truth
    assert any("fit better with --hold linear" in w for w in as_held.warnings)
    as_ramped = fit(_arm(), PARAMS, [log], progress=None)
    assert as_ramped.as_dict()["latency.action"] == pytest.approx(0.02, rel=1e-3)
    assert as_ramped.as_dict()["body[pole].mass"] == pytest.approx(1.3, rel=1e-3)
    assert not any("--hold" in w for w in as_ramped.warnings)
    assert as_ramped.holds.delay["zoh"] == pytest.approx(0.015, abs=3e-4)


def test_a_holding_plant_fitted_as_held_is_not_warned() -> None:
    result = fit(_arm(), PARAMS, [_log("zoh")], progress=None)
    assert result.as_dict()["latency.action"] == pytest.approx(0.02, rel=1e-3)
    assert not result.holds.mismatch
    assert result.holds.cost["linear"] > 10 * result.holds.cost["zoh"]


def test_mujocos_native_delay_acts_as_whole_physics_steps() -> None:
    """A 25 ms actuator delay at 10 ms steps is fitted as 30 ms: MuJoCo rounds it up."""
    xml = asset_path("pendulum.xml").read_text()
    native = mujoco.MjSpec.from_string(xml)
    for actuator in native.actuators:
        actuator.delay, actuator.nsample = 0.025, 4
    plant = native.compile()
    plant.opt.timestep = 0.01
    rng = np.random.default_rng(0)
    commands = excitation("multisine", 10.0, 0.01, plant.actuator_ctrlrange, rng)
    log = record(plant, commands, 0.01, HIDDEN, 0.0, 0.0, rng, np.array([np.pi]))
    result = fit(_arm(0.01), PARAMS, [log], progress=None)
    assert result.as_dict()["latency.action"] == pytest.approx(0.03, abs=5e-4)  # not 0.025


def test_cli_hold_option_names_the_convention_and_refits(tmp_path: Path) -> None:
    xml = asset_path("pendulum.xml").read_text().replace('timestep="0.01"', 'timestep="0.002"')
    assert 'timestep="0.002"' in xml
    (tmp_path / "arm.xml").write_text(xml)
    (tmp_path / "params.yaml").write_text(
        "params:\n  - {param: 'body[pole].mass', low: 0.5, high: 3.0}\n"
        "  - {param: latency.action, low: 0.0, high: 0.1}\n"
    )
    done = run_cli("record", "--model", "arm.xml", "--hold", "linear", "--latency", "0.02",
                   "--dt", "0.01", "--duration", "8", "--hidden", "body[pole].mass=1.3",
                   "--out", "log.csv", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = run_cli("sysid", "--model", "arm.xml", "--log", "log.csv", "--params", "params.yaml",
                   "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "warning: the logs fit better with --hold linear than with --hold zoh" in done.stdout
    done = run_cli("sysid", "--model", "arm.xml", "--log", "log.csv", "--params", "params.yaml",
                   "--hold", "linear", "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "warning: the logs fit better" not in done.stdout
    assert "refit with --hold zoh: squared residual" in done.stdout
    document = yaml.safe_load((tmp_path / "fit.yaml").read_text())
    assert document["sysid"]["values"]["latency.action"] == pytest.approx(0.02, rel=1e-3)
    assert document["sysid"]["hold"] == "linear"
    # The envs hold commands: a ramping robot is simulated half a log period later.
    (term,) = [t for t in document["terms"] if t["param"] == "latency.action"]
    assert term["centre"] == pytest.approx(0.025, rel=1e-3)
    done = run_cli("record", "--task", "simreal/PendulumSwingupReal-v0", "--hold", "linear",
                   "--out", "x.csv", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "--hold apply to --model" in done.stderr


def test_the_ambiguity_is_said_only_when_the_residuals_cannot_tell_and_the_delay_moves() -> None:
    def comparison(cost_linear: float, delay_linear: float) -> HoldComparison:
        return HoldComparison("zoh", {"zoh": 10.0, "linear": cost_linear},
                              {"zoh": 0.015, "linear": delay_linear}, 2000, 0.01)  # fmt: skip

    same = comparison(10.001, 0.020)
    assert not same.mismatch and "15.0 ms as held, 20.0 ms as interpolated" in same.ambiguity()
    assert comparison(10.001, 0.0151).ambiguity() is None  # the delay does not depend on it
    better = comparison(8.0, 0.020)
    assert better.mismatch and better.ambiguity() is None
    assert "refit with --hold linear" in better.warning()
    assert comparison(12.0, 0.020).warning() is None  # the fitted convention is better

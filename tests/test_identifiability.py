"""Before a fit: what the log can determine, predicted from the Jacobian at the start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simreal.sysid.fit import fit
from simreal.sysid.identifiability import identifiability
from simreal.sysid.problem import FitParam
from tests.conftest import run_cli
from tests.test_sysid import PROXY_PARAMS, TRUTH, _pendulum, _recording

DETERMINED = [FitParam("joint[hinge].damping", 0.0, 1.0), FitParam("body[pole].mass", 0.5, 3.0)]


def test_a_parameter_the_log_does_not_move_and_an_inseparable_pair_are_named() -> None:
    params = [
        *DETERMINED,
        FitParam("latency.action", 0.0, 0.1),
        FitParam("latency.observation", 0.0, 0.1),  # open loop: one loop delay
        FitParam("geom[floor].friction_sliding", 0.1, 2.0),
    ]  # nothing touches the floor
    report = identifiability(_pendulum(), params, [_recording(seconds=10.0)])
    assert report.undetermined == [["geom[floor].friction_sliding"],
                                   ["latency.action", "latency.observation"]]  # fmt: skip
    assert np.isinf(report.predicted_se[2:]).all() and np.isfinite(report.predicted_se[:2]).all()
    text = "\n".join(report.lines())
    assert "this log cannot separate latency.action, latency.observation" in text
    assert "this log does not move geom[floor].friction_sliding" in text


def test_the_predicted_error_is_the_fits_own_at_its_residual_level() -> None:
    # The report predicts for residuals of `noise` (normalised RMS); a fit of the same log
    # finds its residual level and, from the Jacobian at its solution, its standard errors.
    # Started at the truth, where the fit ends, both read the same information.
    params = [FitParam(pid, low, high, initial=TRUTH[pid]) for pid, low, high in (
        ("joint[hinge].damping", 0.0, 1.0), ("body[pole].mass", 0.5, 3.0),
        ("joint[hinge].frictionloss", 0.0, 0.2), ("joint[hinge].armature", 0.0, 0.1),
        ("latency.action", 0.0, 0.1))]  # fmt: skip
    recording = _recording(noise=0.005)
    fitted = fit(_pendulum(), params, [recording], progress=None)
    assert not fitted.misfit.flagged  # the model can follow the log: no widening
    report = identifiability(_pendulum(), params, [recording], noise=fitted.rms_after)
    np.testing.assert_allclose(report.predicted_se, fitted.std_errors, rtol=0.25)
    # Ten times the residuals, ten times the standard errors.
    noisier = identifiability(_pendulum(), params, [recording], noise=10 * fitted.rms_after)
    np.testing.assert_allclose(noisier.predicted_se, 10 * report.predicted_se, rtol=1e-9)


def test_a_short_log_flags_its_weak_parameters_with_what_would_inform_them() -> None:
    params = [*DETERMINED, FitParam("joint[hinge].frictionloss", 0.0, 0.2)]
    short = identifiability(_pendulum(), params, [_recording(seconds=1.0)], noise=0.02)
    assert "joint[hinge].frictionloss" in short.weak
    assert "slow motions with many reversals of direction" in "\n".join(short.lines())
    long = identifiability(_pendulum(), params, [_recording(seconds=20.0)], noise=0.02)
    frictionloss = [p.id for p in params].index("joint[hinge].frictionloss")
    assert long.predicted_se[frictionloss] < short.predicted_se[frictionloss] / 2


def test_cli_check_reports_and_fits_nothing(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(PROXY_PARAMS)
    done = run_cli("record", "--task", "simreal/PendulumSwingupReal-v0", "--out", "real.parquet",
                   "--duration", "5", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    args = ("sysid", "--task", "simreal/PendulumSwingup-v0", "--log", "real.parquet",
            "--params", "params.yaml", "--out", "fit.yaml")  # fmt: skip
    done = run_cli(*args, "--check", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "identifiability at the initial guess (for residuals of 0.50%" in done.stdout
    assert "latency.action" in done.stdout and "stage 1/" not in done.stdout
    assert not (tmp_path / "fit.yaml").exists() and not (tmp_path / "fit.png").exists()
    done = run_cli(*args, "--noise", "2", cwd=tmp_path)
    assert done.returncode == 2 and "--noise: give a fraction of each signal's range" in (
        done.stderr
    )


@pytest.mark.parametrize("noise", [0.0, 1.5])
def test_noise_outside_zero_one_is_refused(tmp_path: Path, noise: float) -> None:
    done = run_cli("sysid", "--task", "simreal/PendulumSwingup-v0", "--log", "x.csv", "--params",
                   "p.yaml", "--out", "fit.yaml", "--noise", str(noise), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "--noise" in done.stderr

"""The toy experiments run end to end and their JSON shows the claims they reproduce."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.linalg import solve_continuous_lyapunov

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"


def _run(script: str, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "result"
    result = subprocess.run(
        [sys.executable, str(EXPERIMENTS / script), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "|---" in result.stdout, "no markdown table printed"
    assert out.with_name("result.png").stat().st_size > 0
    return json.loads(out.with_name("result.json").read_text())


def test_dr_toy_cost_is_the_lyapunov_cost() -> None:
    cost = runpy.run_path(str(EXPERIMENTS / "dr_toy_gain.py"))["cost"]
    k, rho = 4.0, 0.01
    for d, c in [(0.3, 2.0), (-0.5, 1.0), (1.2, 0.25), (2.0, 3.0)]:
        a = np.array([[0.0, 1.0], [-k, -(c + d)]])
        gain = np.array([[k, d]])
        q = np.diag([1.0, 0.0]) + rho * gain.T @ gain
        p = solve_continuous_lyapunov(a.T, -q)
        assert cost(d, c, k, rho) == pytest.approx(p[0, 0], rel=1e-10)
    assert np.isinf(cost(-1.0, 1.0, k, rho)) and np.isinf(cost(-2.0, 1.0, k, rho))


def test_dr_gain_beats_the_sim_only_gain_on_the_shifted_plant(tmp_path: Path) -> None:
    result = _run("dr_toy_gain.py", tmp_path, "--draws", "200", "--repeats", "2")
    gains = result["gains"]
    sim, dr, oracle = gains["sim-only"], gains["DR (w = 0.5)"], gains["oracle (real)"]
    assert result["dr_beats_sim_only_on_real"]
    assert oracle["cost_real"] <= dr["cost_real"] < sim["cost_real"]
    # On the nominal plant the sim-only gain is the best, by construction.
    assert sim["cost_sim"] <= dr["cost_sim"]
    sweep = result["width_sweep"]
    assert sweep["widths"][0] == 0 and sweep["dr_gain"][0] == pytest.approx(sim["gain"])


def test_tokenizer_round_trip_stays_within_half_a_bin(tmp_path: Path) -> None:
    result = _run("tokenizer_roundtrip.py", tmp_path, "--samples", "20000", "--outside", "2000")
    assert result["within_half_bin"] and result["tokens_in_vocabulary"]
    assert result["max_abs_bins"] <= 0.5 + 1e-9
    assert len(result["in_range"]["max_abs_bins"]) == 7
    # Uniform draws: the mean |error| of a uniform error on [-1/2, 1/2] bin is 1/4 bin.
    assert np.allclose(result["in_range"]["mean_abs_bins"], 0.25, atol=0.01)
    assert np.allclose(result["in_range"]["mean_signed_bins"], 0.0, atol=0.01)


def test_bc_recovers_the_linear_experts_slope_and_intercept(tmp_path: Path) -> None:
    result = _run(
        "bc_recovers_expert.py", tmp_path, "--part", "toy", "--demos", "1000", "--seeds", "1"
    )
    (run,) = result["toy"]["runs"]
    # Least squares: noise 0.05 over 1000 states in [-2, 2] gives standard errors ~0.002.
    assert run["least_squares"]["slope"] == pytest.approx(0.8, abs=0.01)
    assert run["least_squares"]["intercept"] == pytest.approx(0.3, abs=0.01)
    # simreal's Gaussian-head BC (an MLP, 2000 Adam steps): a looser, stated tolerance.
    assert run["train_bc"]["slope"] == pytest.approx(0.8, abs=0.05)
    assert run["train_bc"]["intercept"] == pytest.approx(0.3, abs=0.05)
    assert run["train_bc"]["rmse"] < 0.05

"""Confidence intervals and the LQR design used by the experts."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from simreal.asset_paths import asset_path
from simreal.envs.lqr import linearize, lqr_gain
from simreal.stats import mean_ci, wilson_interval


def test_mean_ci_matches_the_t_interval() -> None:
    mean, half = mean_ci([1.0, 2.0, 3.0, 4.0])
    # sd = 1.291, sem = 0.6455, t(0.975, 3) = 3.182
    assert mean == pytest.approx(2.5)
    assert half == pytest.approx(3.1824 * 0.6455, rel=1e-3)
    assert mean_ci([5.0]) == (5.0, 0.0)


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-3) and high == pytest.approx(0.7634, abs=1e-3)
    low, high = wilson_interval(10, 10)
    assert high == pytest.approx(1.0) and low == pytest.approx(0.7225, abs=1e-3)


@pytest.mark.parametrize(("xml", "nq"), [("pendulum.xml", 1), ("cartpole.xml", 2)])
def test_lqr_stabilises_the_linearised_upright(xml: str, nq: int) -> None:
    model = mujoco.MjModel.from_xml_path(str(asset_path(xml)))
    a, b = linearize(model, np.zeros(nq), np.zeros(model.nu), frame_skip=2)
    open_loop = np.abs(np.linalg.eigvals(a)).max()
    gain = lqr_gain(a, b, np.eye(2 * nq), np.eye(model.nu))
    closed_loop = np.abs(np.linalg.eigvals(a - b @ gain)).max()
    assert open_loop > 1.0, "the upright should be unstable without control"
    assert closed_loop < 1.0

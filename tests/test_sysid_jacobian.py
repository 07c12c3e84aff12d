"""The fit's Jacobian: sparse assembly and reused residuals."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from simreal.model_catalog import resolve_model
from simreal.sysid.excitation import excitation, record
from simreal.sysid.objective import EPS_PARAM, EPS_STATE, Objective
from simreal.sysid.problem import FitParam, bind_problem
from simreal.sysid.recording import Recording
from simreal.sysid.replay import ControlSignal, make_segments

# Gymnasium's reacher, two logged joints: a model nobody here wrote.
HIDDEN = {"joint[joint0].damping": 1.3, "joint[joint1].armature": 0.85}
PARAMS = [
    FitParam("joint[joint0].damping", 0.2, 4.0),
    FitParam("joint[joint1].armature", 0.2, 4.0),
    FitParam("latency.action", 0.0, 0.1),
]


@pytest.fixture(scope="module")
def objective() -> Objective:
    model = mujoco.MjModel.from_xml_path(str(resolve_model("gymnasium:reacher")))
    rng = np.random.default_rng(3)
    commands = excitation("multisine", 4.0, 0.01, model.actuator_ctrlrange, rng, 0.03)
    full = record(model, commands, 0.01, HIDDEN, 0.03, 0.0, rng)
    arm = ("joint0", "joint1")  # the target's joints never move
    log = Recording(full.time, full.ctrl, {j: full.qpos[j] for j in arm},
                    {j: full.qvel[j] for j in arm})  # fmt: skip
    problem = bind_problem(model, PARAMS, [log])
    return Objective(problem, make_segments(problem, 1.0), n_threads=2)


def _start(objective: Objective) -> np.ndarray:
    return objective.initial_x(objective.problem.start)


def test_sparse_jacobian_equals_differencing_each_variable_on_its_own(objective) -> None:
    """Every column, parameters and each segment's states, lands where its variable is."""
    x = _start(objective)
    base = objective.residuals(x)
    expected = np.empty((base.size, x.size))
    scales = np.concatenate([objective.q_scale, objective.v_scale])
    for col in range(x.size):
        if col < objective.n_params:
            step = EPS_PARAM
        else:
            step = EPS_STATE * max(1.0, scales[(col - objective.n_params) % (2 * objective.m)])
        moved = x.copy()
        moved[col] += step
        expected[:, col] = (objective.residuals(moved) - base) / step
    got = objective.sparse_jacobian(x)
    assert got.shape == expected.shape
    assert np.abs(expected).max() > 1.0  # the columns carry signal
    np.testing.assert_allclose(got.toarray(), expected, rtol=0, atol=1e-6 * np.abs(expected).max())
    # State columns are block diagonal: one segment's rows never depend on another's states.
    assert got.nnz == base.size * (objective.n_params + 2 * objective.m)


def test_residuals_cached_at_a_point_are_not_reused_for_another_log_convention(objective) -> None:
    x = _start(objective)
    held = objective.residuals(x)
    np.testing.assert_array_equal(objective.cached_residuals(x), held)
    assert objective.cached_residuals(x + 1e-9) is None
    kept = objective.replayer.signals
    try:
        objective.replayer.signals = [ControlSignal(r.time, objective.problem.controls(r), "linear")
                                      for r in objective.problem.recordings]  # fmt: skip
        assert objective.cached_residuals(x) is None
        ramped = objective.residuals(x)
        assert not np.allclose(ramped, held)
    finally:
        objective.replayer.signals = kept
    assert objective.cached_residuals(x) is None


def test_a_jacobian_after_the_residuals_at_the_same_point_replays_no_base(objective) -> None:
    """The trust region evaluates a point, then asks its Jacobian: the base is not replayed."""
    x = _start(objective)
    n_seg, per_segment = len(objective.segments), objective.n_params + 2 * objective.m
    replayed = []
    simulate = objective.replayer.simulate
    objective.replayer.simulate = lambda jobs: replayed.append(len(jobs)) or simulate(jobs)
    try:
        fresh = objective.sparse_jacobian(x + 1e-3).toarray()  # nothing cached there
        objective.residuals(x)
        objective.sparse_jacobian(x)
    finally:
        objective.replayer.simulate = simulate
    assert replayed == [n_seg * (1 + per_segment), n_seg, n_seg * per_segment]
    assert np.abs(fresh).max() > 0

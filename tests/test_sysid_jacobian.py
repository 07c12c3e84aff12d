"""The fit's Jacobian: sparse assembly, reused residuals, and secant state blocks."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
import scipy.optimize

from simreal.model_catalog import resolve_model
from simreal.sysid.excitation import excitation, record
from simreal.sysid.objective import EPS_PARAM, EPS_STATE, Objective
from simreal.sysid.problem import FitParam, bind_problem
from simreal.sysid.recording import Recording
from simreal.sysid.replay import ControlSignal, make_segments
from simreal.sysid.secant import SecantJacobian

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
    assert objective.cached_residuals(x) is held
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


def test_a_secant_block_reproduces_the_residual_change_of_the_step_it_learned_from(
    objective,
) -> None:
    """Broyden's condition: the updated block maps the state step onto what it must explain.

    The step moves the damping and armature a lot, which changes how the trajectory
    depends on its initial state; the old block mispredicts, the updated one does not.
    """
    jacobian = SecantJacobian(objective, mismatch=np.inf)
    x0 = _start(objective)
    objective.residuals(x0)
    jacobian(x0)
    old_blocks, old_columns = [b.copy() for b in jacobian.blocks], jacobian.columns.copy()
    x1 = x0.copy()
    x1[:2] += 0.2
    x1[objective.n_params :] += 0.05 * np.random.default_rng(0).standard_normal(x0.size - 3)
    r0, r1 = objective.residuals(x0), objective.residuals(x1)
    jacobian(x1)
    assert jacobian.blocks_differenced == len(objective.segments)  # none afresh at x1
    ds = objective.states(x1) - objective.states(x0)
    explained = old_columns @ (x1 - x0)[:3]
    for k, block in enumerate(jacobian.blocks):
        rows = slice(objective.offsets[k], objective.offsets[k + 1])
        change = (r1 - r0 - explained)[rows]
        assert np.linalg.norm(old_blocks[k] @ ds[k] - change) > 1e-2 * np.linalg.norm(change)
        assert np.linalg.norm(block @ ds[k] - change) < 1e-9 * np.linalg.norm(change)


def test_secant_fit_reaches_the_plain_fit_while_differencing_fewer_state_blocks(
    objective,
) -> None:
    x0 = _start(objective)
    bounds = (np.r_[np.zeros(3), np.full(x0.size - 3, -np.inf)],
              np.r_[np.ones(3), np.full(x0.size - 3, np.inf)])  # fmt: skip
    results = {}
    for mismatch in (0.0, 0.5):
        jacobian = SecantJacobian(objective, mismatch=mismatch)
        result = scipy.optimize.least_squares(
            objective.residuals, x0, jac=jacobian, bounds=bounds, x_scale="jac",
            tr_solver="lsmr", ftol=1e-10, max_nfev=60,
        )  # fmt: skip
        results[mismatch] = (objective.values(result.x), jacobian)
    plain, secant = results[0.0], results[0.5]
    assert plain[1].blocks_differenced == plain[1].calls * len(objective.segments)
    assert secant[1].blocks_differenced < 0.6 * secant[1].calls * len(objective.segments)
    np.testing.assert_allclose(secant[0], plain[0], rtol=1e-4)
    np.testing.assert_allclose(secant[0][:2], list(HIDDEN.values()), rtol=1e-3)
    assert secant[0][2] == pytest.approx(0.03, abs=1e-4)

"""Discrete-time LQR designed on a MuJoCo model by finite differences.

The experts of the pendulum and cart-pole tasks stabilise the upright with an
LQR gain computed from the *nominal* model: ``mujoco.mjd_transitionFD``
linearises one physics step, which is then composed over the control period
(zero-order hold over ``frame_skip`` physics steps).
"""

from __future__ import annotations

import copy

import mujoco
import numpy as np
import scipy.linalg
from numpy.typing import NDArray


def linearize(
    model: mujoco.MjModel, qpos: NDArray, ctrl: NDArray, frame_skip: int
) -> tuple[NDArray, NDArray]:
    """Linearise the control-period map ``x' = A x + B u`` about a fixed point.

    Args:
        model: The model to linearise.
        qpos: Joint positions of the operating point (velocities are zero).
        ctrl: Controls at the operating point.
        frame_skip: Physics steps per control step.

    Returns:
        ``(A, B)`` with state ``x = [dq, qvel]`` of size ``2 * nv``.
    """
    # Dry friction (frictionloss) is a constraint that sticks at zero velocity,
    # which makes the finite-difference velocity derivatives vanish; LQR needs
    # the smooth dynamics, so linearise a copy with it disabled.
    model = copy.copy(model)
    model.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_FRICTIONLOSS
    data = mujoco.MjData(model)
    data.qpos[:] = qpos
    data.ctrl[:] = ctrl
    mujoco.mj_forward(model, data)
    nv, nu = model.nv, model.nu
    a = np.zeros((2 * nv + model.na, 2 * nv + model.na))
    b = np.zeros((2 * nv + model.na, nu))
    mujoco.mjd_transitionFD(model, data, 1e-6, True, a, b, None, None)
    a, b = a[: 2 * nv, : 2 * nv], b[: 2 * nv]
    a_n, b_n = np.eye(2 * nv), np.zeros_like(b)
    for _ in range(frame_skip):
        a_n, b_n = a @ a_n, a @ b_n + b
    return a_n, b_n


def lqr_gain(a: NDArray, b: NDArray, q: NDArray, r: NDArray) -> NDArray:
    """Return the infinite-horizon discrete LQR gain ``K`` (``u = -K x``).

    Args:
        a: State matrix.
        b: Input matrix.
        q: State cost (positive semi-definite).
        r: Input cost (positive definite).

    Returns:
        The gain matrix of shape ``(nu, nx)``.
    """
    p = scipy.linalg.solve_discrete_are(a, b, q, r)
    return np.linalg.solve(r + b.T @ p @ b, b.T @ p @ a)

"""Inverse-kinematics expert with gravity feed-forward for the Reach task."""

from __future__ import annotations

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.asset_paths import asset_path
from simreal.envs.expert import Expert
from simreal.envs.reach.env import JOINTS


class ReachExpert(Expert):
    """Solve IK for the target, then offset the servo targets against gravity.

    Damped least squares on the nominal model's fingertip Jacobian gives the joint
    angles that put the fingertip on the target; since the position servos do not
    compensate gravity, the command adds ``gravity_torque / kp`` so that the arm
    settles there. Both use only the nominal model.

    Args:
        iterations: IK iterations per action.
        damping: Levenberg-Marquardt damping of the least-squares step.
    """

    def __init__(self, iterations: int = 20, damping: float = 1e-3) -> None:
        self.model = mujoco.MjModel.from_xml_path(str(asset_path("reach.xml")))
        self.data = mujoco.MjData(self.model)
        self.iterations = iterations
        self.damping = damping
        self.dofs = np.array([self.model.joint(j).dofadr[0] for j in JOINTS])
        self.qpos_adr = np.array([self.model.joint(j).qposadr[0] for j in JOINTS])
        self.kp = np.array([self.model.actuator(j).gainprm[0] for j in JOINTS])
        self.ctrl_range = np.array([self.model.actuator(j).ctrlrange for j in JOINTS])
        self.joint_range = np.array([self.model.joint(j).range for j in JOINTS])
        self.site_id = self.model.site("fingertip").id

    def solve_ik(self, q: NDArray[np.float64], target: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return joint angles (within joint limits) that put the fingertip at ``target``."""
        jac = np.zeros((3, self.model.nv))
        q = q.copy()
        for _ in range(self.iterations):
            self.data.qpos[self.qpos_adr] = q
            mujoco.mj_kinematics(self.model, self.data)
            mujoco.mj_comPos(self.model, self.data)
            error = target - self.data.site_xpos[self.site_id]
            if np.linalg.norm(error) < 1e-4:
                break
            mujoco.mj_jacSite(self.model, self.data, jac, None, self.site_id)
            j = jac[:, self.dofs]
            step = j.T @ np.linalg.solve(j @ j.T + self.damping * np.eye(3), error)
            q = np.clip(q + step, self.joint_range[:, 0], self.joint_range[:, 1])
        return q

    def gravity_torque(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the joint torques that hold the arm still at ``q`` (N m)."""
        self.data.qpos[self.qpos_adr] = q
        self.data.qvel[:] = 0.0
        mujoco.mj_forward(self.model, self.data)
        return self.data.qfrc_bias[self.dofs].copy()

    def act(self, obs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return servo targets for the 15-dimensional Reach observation."""
        q_goal = self.solve_ik(obs[0:3], obs[9:12])
        command = q_goal + self.gravity_torque(q_goal) / self.kp
        return np.clip(command, self.ctrl_range[:, 0], self.ctrl_range[:, 1])

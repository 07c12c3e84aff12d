"""Scripted pushing controller for the Push task.

The expert reads the 14-vector of :mod:`simreal.envs.push.env` and returns a
target pusher position. It works in two modes, chosen afresh at every step
from the geometry alone (it keeps no memory):

* **approach**: go to the *pre-push point*, a few centimetres behind the block
  on the line goal -> block. If the straight path there would touch the block,
  the pusher first heads for the tangent point of a keep-out circle around the
  block, so it walks around the block and never through it.
* **push**: once the pusher is behind the block and within a lateral tolerance
  of that line, it pushes through the block's centre toward the goal. Its
  target is the pusher position that would put the block on the goal, at most
  ``push_lead`` ahead of the current contact point, so it slows down and stops
  as the block reaches the goal. If the block drifts off the line or turns so
  that the pusher is no longer behind its centre, the expert falls back to
  approach and re-aligns.

Everything it knows about the plant comes from its own copy of the nominal
model: the block's half size, the pusher's radius and the action range.
"""

from __future__ import annotations

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.asset_paths import asset_path
from simreal.envs.expert import Expert


class PushExpert(Expert):
    """Approach-then-push controller (see the module docstring).

    Args:
        standoff: Gap between pusher and block at the pre-push point (m).
        lateral_tolerance: Largest distance of the pusher from the push line
            at which pushing goes on (m).
        push_lead: Largest distance the target runs ahead of the contact point
            while pushing (m); sets the pushing speed.
        min_lead: Smallest such distance while the block is away from the
            goal (m); overcomes the block's sliding friction.
        overshoot: Distance past the goal at which the target is placed (m),
            to make up for the servo's steady-state error under friction.
        done_radius: Block-to-goal distance below which the pusher holds still (m).
        max_step: Largest distance of the target from the pusher while
            approaching (m); limits the pusher's speed.
    """

    def __init__(
        self,
        standoff: float = 0.02,
        lateral_tolerance: float = 0.012,
        push_lead: float = 0.03,
        min_lead: float = 0.008,
        overshoot: float = 0.004,
        done_radius: float = 0.008,
        max_step: float = 0.06,
    ) -> None:
        model = mujoco.MjModel.from_xml_path(str(asset_path("push.xml")))
        self.block_half = float(model.geom("block").size[0])
        self.pusher_radius = float(model.geom("pusher_tip").size[0])
        ranges = np.array([model.actuator(n).ctrlrange for n in ("pusher_x", "pusher_y")])
        self.low, self.high = ranges[:, 0].copy(), ranges[:, 1].copy()
        # Closest the pusher's centre may come to the block's centre when not
        # pushing: block half-diagonal + pusher radius + a margin.
        self.keep_out = self.block_half * np.sqrt(2.0) + self.pusher_radius + 0.008
        self.standoff = standoff
        self.lateral_tolerance = lateral_tolerance
        self.push_lead = push_lead
        self.min_lead = min_lead
        self.overshoot = overshoot
        self.done_radius = done_radius
        self.max_step = max_step

    def contact_offset(
        self, direction: NDArray[np.float64], cos_yaw: float, sin_yaw: float
    ) -> float:
        """Return the pusher-centre-to-block-centre distance when touching from behind.

        Args:
            direction: Unit push direction in the world frame.
            cos_yaw: Cosine of the block's yaw.
            sin_yaw: Sine of the block's yaw.

        Returns:
            Distance in metres along ``-direction`` from the block's centre at
            which the pusher touches the block's face.
        """
        local_x = direction[0] * cos_yaw + direction[1] * sin_yaw
        local_y = -direction[0] * sin_yaw + direction[1] * cos_yaw
        return self.block_half / max(abs(local_x), abs(local_y)) + self.pusher_radius

    def approach_target(
        self,
        pusher: NDArray[np.float64],
        block: NDArray[np.float64],
        goal_point: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """Return the next waypoint toward ``goal_point`` that keeps clear of the block."""
        rel = pusher - block
        distance = float(np.linalg.norm(rel))
        to_goal = goal_point - pusher
        # Closest approach of the segment pusher -> goal_point to the block's centre.
        length2 = float(to_goal @ to_goal)
        t = 0.0 if length2 < 1e-12 else float(np.clip(-(rel @ to_goal) / length2, 0.0, 1.0))
        clearance = float(np.linalg.norm(rel + t * to_goal))
        if clearance >= self.keep_out:
            return goal_point
        # Walk around the block on the side that is the shorter way round.
        angle = np.arctan2(rel[1], rel[0])
        goal_rel = goal_point - block
        delta = np.arctan2(goal_rel[1], goal_rel[0]) - angle
        delta = (delta + np.pi) % (2 * np.pi) - np.pi
        side = 1.0 if delta >= 0 else -1.0
        radius = self.keep_out + 0.01
        # Far out: the orbit circle's tangent point, a little further round;
        # inside the circle: straight out and round.
        swing = np.arccos(radius / distance) + 0.3 if distance > radius else 0.8
        swing = min(swing, abs(delta) + 0.3)
        waypoint_angle = angle + side * swing
        return block + radius * np.array([np.cos(waypoint_angle), np.sin(waypoint_angle)])

    def act(self, obs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the target pusher position for one state observation."""
        pusher, block, goal = obs[0:2], obs[4:6], obs[10:12]
        cos_yaw, sin_yaw = float(obs[6]), float(obs[7])
        to_goal = goal - block
        dist = float(np.linalg.norm(to_goal))
        if dist < self.done_radius:
            return np.clip(pusher, self.low, self.high)
        u = to_goal / dist
        n = np.array([-u[1], u[0]])
        contact = self.contact_offset(u, cos_yaw, sin_yaw)
        rel = pusher - block
        along, lateral = float(rel @ u), float(rel @ n)

        behind = -(contact + self.standoff + 0.01) < along < -0.5 * contact
        if behind and abs(lateral) < self.lateral_tolerance:
            contact_point = block - contact * u
            lead = float(np.clip(dist + self.overshoot, self.min_lead, self.push_lead))
            target = contact_point + lead * u
        else:
            pre_push = block - (contact + self.standoff) * u
            waypoint = self.approach_target(pusher, block, pre_push)
            step = waypoint - pusher
            norm = float(np.linalg.norm(step))
            if norm > self.max_step:
                step *= self.max_step / norm
            target = pusher + step
        return np.clip(target, self.low, self.high)

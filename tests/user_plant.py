"""A user's own plant, registered on import: the target of ``module:EnvId`` ids in tests.

``simreal eval --on tests.user_plant:UserPlant-v0`` imports this module, which
registers ``UserPlant-v0`` (Gymnasium's inverted pendulum with a short time
limit), as a user's package registers their robot.
"""

from __future__ import annotations

import gymnasium as gym

ENV_ID = "UserPlant-v0"
MAX_EPISODE_STEPS = 30

if ENV_ID not in gym.registry:
    gym.register(
        ENV_ID,
        entry_point="gymnasium.envs.mujoco.inverted_pendulum_v5:InvertedPendulumEnv",
        max_episode_steps=MAX_EPISODE_STEPS,
    )

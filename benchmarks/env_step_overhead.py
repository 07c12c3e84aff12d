"""Cost of simreal's Gymnasium layer over raw MuJoCo stepping, side by side.

For every state task, and for Gymnasium's own InvertedPendulum-v5 and
HalfCheetah-v5 as a reference, time in one process:

* raw:   ``mujoco.mj_step(model, data, nstep=frame_skip)`` with random controls,
         the physics alone;
* env:   ``env.step(action)`` through ``gymnasium.make`` (time limit, order
         enforcing and checker wrappers included), resetting on episode end.

and print control steps per second and the ratio env/raw (1.0 = no overhead).

    python benchmarks/env_step_overhead.py [--steps 20000]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import mujoco
import numpy as np

import simreal  # noqa: F401  (registers the tasks)
from simreal.envs.registry import TASKS


def raw_steps_per_second(env: gym.Env, steps: int) -> float:
    """Step the env's own model with random controls, no Python env around it."""
    base = env.unwrapped
    model, data = base.model, mujoco.MjData(base.model)
    low, high = model.actuator_ctrlrange.T
    controls = np.random.default_rng(0).uniform(low, high, size=(steps, model.nu))
    start = time.perf_counter()
    for ctrl in controls:
        data.ctrl[:] = ctrl
        mujoco.mj_step(model, data, nstep=base.frame_skip)
    return steps / (time.perf_counter() - start)


def env_steps_per_second(env: gym.Env, steps: int) -> float:
    """Step the env through the Gymnasium API with random actions."""
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=0)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="control steps per measurement")
    args = parser.parse_args()
    ids = [t.env_id for t in TASKS if t.kwargs.get("obs_type", "state") == "state"]
    ids += ["InvertedPendulum-v5", "HalfCheetah-v5"]
    print(f"{'env':30} {'raw steps/s':>12} {'env steps/s':>12} {'env/raw':>8}")
    for env_id in ids:
        env = gym.make(env_id)
        raw = raw_steps_per_second(env, args.steps)
        wrapped = env_steps_per_second(env, args.steps)
        print(f"{env_id:30} {raw:12,.0f} {wrapped:12,.0f} {wrapped / raw:8.2f}")
        env.close()


if __name__ == "__main__":
    main()

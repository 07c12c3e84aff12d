"""What domain randomization costs, side by side in one process.

1. Resample: drawing and applying a spec of >= 10 dynamics terms (``mj_setConst``
   included) at a reset, as a ratio to one env step. Target: < 1.
2. Per step: ``env.step`` through the full wrapper stack that ``simreal.make``
   builds (DR + action delay + observation noise) against the bare env
   (``gymnasium.make``), episodes resetting as they end. Target: <= 1.10.

    python benchmarks/dr_overhead.py [--steps 20000]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
from env_step_overhead import env_steps_per_second  # the same timing loop

import simreal

DYNAMICS_TERMS = {
    "simreal/Push-v0": [
        "body[block].mass", "body[pusher].mass", "geom[block].friction_sliding",
        "geom[table].friction_sliding", "geom[pusher_tip].friction_sliding",
        "joint[pusher_x].damping", "joint[pusher_y].damping", "actuator[pusher_x].kp",
        "actuator[pusher_y].kp", "actuator[pusher_x].kv", "actuator[pusher_y].kv",
        "geom[block].friction_torsional",
    ],
    "HalfCheetah-v5": [
        "body[torso].mass", "body[bthigh].mass", "body[bshin].mass", "body[fthigh].mass",
        "body[fshin].mass", "geom[floor].friction_sliding", "joint[bthigh].damping",
        "joint[fthigh].damping", "joint[bshin].armature", "actuator[bthigh].gear",
        "actuator[fthigh].gear", "option.gravity",
    ],
    "simreal/PendulumSwingup-v0": [
        "body[pole].mass", "joint[hinge].damping", "joint[hinge].frictionloss",
        "joint[hinge].armature", "actuator[torque].gear", "geom[rod].friction",
        "geom[bob].friction", "option.gravity", "option.viscosity", "option.density",
    ],
}  # fmt: skip


def spec_for(ids: list[str]) -> dict:
    """A spec that scales (or, for quantities that may be 0, adds to) every parameter."""
    uniform = {"distribution": "uniform", "low": 0.8, "high": 1.2}
    normal = {"distribution": "normal", "mean": 0.0, "std": 0.01}
    terms = []
    for pid in ids:
        if pid.startswith("option."):
            terms.append({"param": pid, "op": "add", **normal})
        else:
            terms.append({"param": pid, "op": "scale", **uniform})
    effects = {"distribution": "uniform", "low": 0.0, "high": 0.01}
    terms.append({"param": "latency.action", "op": "set", **effects})
    terms.append({"param": "bias.observation", "op": "set", **effects})
    return {"terms": terms}


def seconds_per_step(env: gym.Env, steps: int) -> float:
    """Mean wall time of env.step with random actions, resetting at episode ends."""
    return 1.0 / env_steps_per_second(env, steps)


def seconds_per_resample(env: gym.Env, repeats: int) -> float:
    """Mean wall time of what a reset adds: draw every term, apply it, publish ``info``."""
    bound = env.bound
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(repeats):
        env._publish(bound.apply_vector(bound.sample_vector(rng, 1.0)))  # noqa: SLF001
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    args = parser.parse_args()
    print(f"{'env':28} {'terms':>5} {'step us':>8} {'resample us':>11} {'resample/step':>13} "
          f"{'wrapped us':>10} {'wrapped/bare':>12}")  # fmt: skip
    for env_id, ids in DYNAMICS_TERMS.items():
        bare = gym.make(env_id)
        wrapped = simreal.make(env_id, dr=spec_for(ids))
        step = seconds_per_step(bare, args.steps)
        wrapped_step = seconds_per_step(wrapped, args.steps)
        resample = seconds_per_resample(wrapped, max(1000, args.steps // 10))
        print(
            f"{env_id:28} {len(ids):5d} {step * 1e6:8.1f} {resample * 1e6:11.1f} "
            f"{resample / step:13.2f} {wrapped_step * 1e6:10.1f} {wrapped_step / step:12.2f}"
        )


if __name__ == "__main__":
    main()

"""Env-steps per second of simreal's batched vector env against its limits and baselines.

For Push and Gymnasium's HalfCheetah, N = 1, 8, 64, 256, in one process:

(a) raw ``mujoco.batch.Batch.step(nstep=frame_skip)``: the physics alone, no
    Python per simulation — the speed limit on this machine;
(b) ``simreal.make_vec(..., api="gymnasium")``: the batched vector env with
    domain randomization resampled at every episode, action latency and
    sensor noise, random actions;
(c) Gymnasium ``SyncVectorEnv`` and SB3 ``SubprocVecEnv`` over single
    ``simreal.make`` envs with the same spec (SubprocVecEnv up to N = 64: one
    process per env on this 2-core machine).

then PPO training steps per second with (b) and with (c) at N = 64.

    python benchmarks/vector_env_throughput.py [--env-steps 20000] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import mujoco
import mujoco.batch
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import SubprocVecEnv

import simreal
from simreal.vector.batch_env import BatchedVectorEnv
from simreal.vector.sb3 import SB3VecEnv

CHEETAH_SPEC = {
    "terms": [
        {"param": p, "op": "scale", "distribution": "uniform", "low": 0.8, "high": 1.2}
        for p in (
            "body[torso].mass",
            "body[bthigh].mass",
            "body[fthigh].mass",
            "geom[floor].friction_sliding",
            "joint[bthigh].damping",
            "actuator[bthigh].gear",
        )
    ]
    + [
        {"param": p, "op": "set", "distribution": "uniform", "low": 0.0, "high": 0.01}
        for p in ("latency.action", "bias.observation")
    ]
}
CASES = {"simreal/Push-v0": "default", "HalfCheetah-v5": CHEETAH_SPEC}
SIZES = (1, 8, 64, 256)


def raw_batch(env_id: str, n: int, env_steps: int, threads: int) -> float:
    """(a) Batch.step over n simulations with fixed random controls."""
    base = simreal.make(env_id).unwrapped
    batch = mujoco.batch.Batch(base.model, n, nthread=threads, persistent=True)
    low, high = base.model.actuator_ctrlrange.T
    batch.bind("ctrl")[:] = np.random.default_rng(0).uniform(low, high, (n, base.model.nu))
    calls = max(1, env_steps // n)
    start = time.perf_counter()
    for _ in range(calls):
        batch.step(nstep=base.frame_skip)
    return calls * n / (time.perf_counter() - start)


def run_vector(env, n: int, env_steps: int) -> float:  # noqa: ANN001
    """Step a Gymnasium vector env with random actions; env-steps per second."""
    space = env.single_action_space
    calls = max(1, env_steps // n)
    actions = np.random.default_rng(0).uniform(space.low, space.high, (calls, n, *space.shape))
    actions = actions.astype(np.float32)
    env.reset(seed=0)
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    return calls * n / (time.perf_counter() - start)


def run_sb3(env, n: int, env_steps: int) -> float:  # noqa: ANN001
    """Step an SB3 VecEnv with random actions; env-steps per second."""
    space = env.action_space
    calls = max(1, env_steps // n)
    actions = np.random.default_rng(0).uniform(space.low, space.high, (calls, n, *space.shape))
    env.reset()
    start = time.perf_counter()
    for a in actions:
        env.step(a.astype(np.float32))
    return calls * n / (time.perf_counter() - start)


def ppo_steps_per_second(env, total: int) -> float:  # noqa: ANN001
    """PPO (default MlpPolicy, 32-step rollouts) learning steps per second."""
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=512, n_epochs=2, seed=0, device="cpu")
    start = time.perf_counter()
    model.learn(total)
    return total / (time.perf_counter() - start)


def single_envs(env_id: str, spec: object, n: int) -> list:
    """Factories of n single randomized envs."""
    return [lambda: simreal.make(env_id, dr=spec) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-steps", type=int, default=20_000, help="env-steps per measurement")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    header = (
        f"{'env':16} {'N':>4} {'(a) raw':>9} {'(b) simreal':>11} {'Sync':>8} {'Subproc':>8} "
        f"{'b/a':>5} {'b/Sync':>6} {'b/Subproc':>9}"
    )
    print(f"env-steps per second, {args.threads} threads\n{header}")
    for env_id, spec in CASES.items():
        for n in SIZES:
            a = raw_batch(env_id, n, args.env_steps, args.threads)
            b = run_vector(
                BatchedVectorEnv(env_id, n, dr=spec, n_threads=args.threads), n, args.env_steps
            )
            sync = run_vector(
                SyncVectorEnv(single_envs(env_id, spec, n), autoreset_mode=AutoresetMode.SAME_STEP),
                n,
                args.env_steps,
            )
            sub = float("nan")
            if n <= 64:
                procs = SubprocVecEnv(single_envs(env_id, spec, n), start_method="fork")
                sub = run_sb3(procs, n, args.env_steps)
                procs.close()
            name = env_id.removeprefix("simreal/")
            print(
                f"{name:16} {n:4d} {a:9,.0f} {b:11,.0f} {sync:8,.0f} {sub:8,.0f} "
                f"{b / a:5.2f} {b / sync:6.2f} {b / sub:9.2f}",
                flush=True,
            )
    print("\nPPO training steps per second at N = 64")
    for env_id, spec in CASES.items():
        total = 64 * 32 * 4
        batched = ppo_steps_per_second(simreal.make_vec(env_id, 64, dr=spec), total)
        sync = SyncVectorEnv(single_envs(env_id, spec, 64), autoreset_mode=AutoresetMode.SAME_STEP)
        synced = ppo_steps_per_second(SB3VecEnv(sync), total)
        print(
            f"{env_id:16} batched {batched:8,.0f}   SyncVectorEnv {synced:8,.0f}   "
            f"ratio {batched / synced:5.2f}"
        )


if __name__ == "__main__":
    main()

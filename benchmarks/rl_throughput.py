"""Where RL training time goes: physics, vector env, PPO and SAC side by side.

Per task, in one process, env-steps per second of: (1) raw ``mujoco.batch``
``Batch.step(nstep=frame_skip)`` over N simulations of the task's model with
random controls, the ceiling; (2) three SB3 vector envs of N copies stepped with
random actions: simreal's ``make_vec`` (``dr=None``, width 1), Gymnasium's
``SyncVectorEnv`` through simreal's SB3 adapter, and SB3's ``make_vec_env`` (a
``DummyVecEnv``, what a user would otherwise run); (3) PPO (``MlpPolicy`` on
``VecNormalize(VecMonitor(venv))``, n_steps 256, batch 1024, 5 epochs, as in
``experiments/bc_rl_vs_rl.py``) on each; (4) SAC with 1 env and with N
(``gradient_steps`` = envs, 64x64 nets) on each. ``--steps`` env-steps are timed
for each stepping run and for PPO, after one untimed rollout; ``--sac-steps`` for
SAC, after its ``learning_starts`` untimed random steps.

Each training run's wall time is split into physics, the rest of env stepping
(task code and vector env; SB3 adapter and wrappers), policy forward passes,
other rollout work and gradient updates, by timing the calls of those layers on
the instances. torch and ``mujoco.batch`` run ``--threads`` threads (default 1:
the baselines step on one thread, and torch's thread pool slows down many-fold
when other processes share the cores).

    python benchmarks/rl_throughput.py [--tasks simreal/Reach-v0,simreal/Push-v0]
        [--envs 16] [--steps 16384] [--sac-steps 2048] [--threads 1] [--quick]

Prints markdown tables and a paragraph read off the numbers, and writes them to
``benchmarks/results/rl_throughput.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import mujoco
import mujoco.batch
import numpy as np
import torch
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

import simreal
from simreal.atomic_io import write_json_atomic
from simreal.envs.registry import TASKS
from simreal.vector.sb3 import SB3VecEnv

ROLLOUT = 256  # PPO n_steps, as in experiments/bc_rl_vs_rl.py
KINDS = {"simreal": "simreal make_vec", "sync": "SyncVectorEnv", "dummy": "SB3 DummyVecEnv"}
PARTS = {
    "physics": "physics",
    "env_python": "env Python",
    "sb3_wrappers": "SB3 adapter/wrappers",
    "policy": "policy forward",
    "rollout_other": "rollout other",
    "updates": "gradient updates",
    "other": "other",
}
STATE_IDS = [t.env_id for t in TASKS if t.kwargs.get("obs_type", "state") == "state"]
DEFAULT_TASKS = "simreal/Reach-v0,simreal/Push-v0,simreal/PendulumSwingup-v0"
FULL = {"envs": 16, "steps": 16 * ROLLOUT * 4, "sac_steps": 2048}
QUICK = {"envs": 4, "steps": 4 * ROLLOUT, "sac_steps": 128}
OUT = Path(__file__).resolve().parent / "results" / "rl_throughput.json"


class Stopwatch:
    """Total seconds spent in instrumented methods, by key (nested keys overlap)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: object, attribute: str, key: str) -> None:
        """Replace ``owner.attribute`` (a method) by a timed call of it, on this instance."""
        method = getattr(owner, attribute)
        self.seconds[key] = 0.0

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - start

        setattr(owner, attribute, timed)


def make_env(kind: str, task: str, n: int, threads: int) -> Any:
    """An SB3 ``VecEnv`` of ``n`` copies of ``task``, seeded 0."""
    if kind == "simreal":
        venv = simreal.make_vec(task, n, dr=None, width=1.0, n_threads=threads)
    elif kind == "sync":
        envs = [lambda: simreal.make(task) for _ in range(n)]
        venv = SB3VecEnv(SyncVectorEnv(envs, autoreset_mode=AutoresetMode.SAME_STEP))
    else:
        venv = make_vec_env(task, n_envs=n)
    venv.seed(0)
    return venv


def instrument(watch: Stopwatch, model: Any, kind: str, venv: Any) -> None:
    """Time the learner's phases, the env layers and the physics in them."""
    watch.wrap(model, "collect_rollouts", "collect")
    watch.wrap(model, "train", "train")
    watch.wrap(model.env, "step", "env")  # VecNormalize, the top of the stack
    for attribute in ("forward", "predict_values") if isinstance(model, PPO) else ("predict",):
        watch.wrap(model.policy, attribute, "policy")
    if kind == "dummy":
        watch.wrap(venv, "step_wait", "vector")
        singles = venv.envs
    else:
        watch.wrap(venv.vector_env, "step", "vector")
        singles = [] if kind == "simreal" else venv.vector_env.envs
    if kind == "simreal":
        watch.wrap(venv.vector_env.batch, "step", "physics")
    for env in singles:
        watch.wrap(env.unwrapped, "do_simulation", "physics")


def split(s: dict[str, float], wall: float) -> dict[str, float]:
    """Exclusive seconds per part of :data:`PARTS`; they add up to ``wall``."""
    return {
        "physics": s["physics"],
        "env_python": s["vector"] - s["physics"],
        "sb3_wrappers": s["env"] - s["vector"],
        "policy": s["policy"],
        "rollout_other": s["collect"] - s["env"] - s["policy"],
        "updates": s["train"],
        "other": wall - s["collect"] - s["train"],
    }


def ppo_settings(n: int) -> dict:
    """PPO's settings for ``n`` envs (a minibatch at most one rollout)."""
    return {"n_steps": ROLLOUT, "batch_size": min(1024, n * ROLLOUT), "n_epochs": 5}


def sac_settings(n: int, steps: int) -> dict:
    """SAC's settings: one gradient step per env step, the nets of PPO's policy."""
    starts = -(-256 // n) * n
    return {
        "learning_starts": starts,
        "train_freq": 1,
        "gradient_steps": n,
        "batch_size": 256,
        "buffer_size": starts + steps + n,
        "policy_kwargs": {"net_arch": [64, 64]},
    }


def train_run(algo: str, kind: str, task: str, n: int, steps: int, threads: int) -> dict:
    """Env-steps per second of ``steps`` timed training steps, and where the time went."""
    venv = make_env(kind, task, n, threads)
    env = VecNormalize(VecMonitor(venv), norm_obs=True, norm_reward=False)
    algo_class, kwargs = (PPO, ppo_settings(n)) if algo == "ppo" else (SAC, sac_settings(n, steps))
    model = algo_class("MlpPolicy", env, seed=0, device="cpu", **kwargs)
    warmup = kwargs.get("learning_starts", n * ROLLOUT)  # PPO: one rollout
    model.learn(warmup)
    watch = Stopwatch()
    instrument(watch, model, kind, venv)
    start = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    wall = time.perf_counter() - start
    env.close()
    seconds = split(watch.seconds, wall)
    fractions = {k: v / wall for k, v in seconds.items()}
    return {"steps_per_s": steps / wall, "wall_s": wall, "seconds": seconds, "fractions": fractions}


def raw_physics(task: str, n: int, steps: int, threads: int) -> float:
    """Control steps per second of ``Batch.step(nstep=frame_skip)`` over ``n`` simulations."""
    base = simreal.make(task).unwrapped
    batch = mujoco.batch.Batch(base.model, n, nthread=threads, persistent=True)
    limited = base.model.actuator_ctrllimited.astype(bool)
    low = np.where(limited, base.model.actuator_ctrlrange[:, 0], -1.0)
    high = np.where(limited, base.model.actuator_ctrlrange[:, 1], 1.0)
    calls = max(1, steps // n)
    controls = np.random.default_rng(0).uniform(low, high, (calls, n, base.model.nu))
    ctrl = batch.bind("ctrl")
    start = time.perf_counter()
    for c in controls:
        ctrl[:] = c
        batch.step(nstep=base.frame_skip)
    return calls * n / (time.perf_counter() - start)


def random_stepping(kind: str, task: str, n: int, steps: int, threads: int) -> float:
    """Env-steps per second of an SB3 vector env stepped with random actions."""
    venv = make_env(kind, task, n, threads)
    space, calls = venv.action_space, max(1, steps // n)
    actions = np.random.default_rng(0).uniform(space.low, space.high, (calls, n, *space.shape))
    venv.reset()
    start = time.perf_counter()
    for a in actions.astype(np.float32):
        venv.step(a)
    rate = calls * n / (time.perf_counter() - start)
    venv.close()
    return rate


def measure(task: str, args: argparse.Namespace) -> dict:
    """Every measurement of one task, a progress line each."""
    n, t = args.envs, args.threads

    def say(what: str, rate: float) -> None:
        print(f"  {task}: {what:34} {rate:10,.0f} env-steps/s", file=sys.stderr, flush=True)

    out: dict[str, Any] = {"n_envs": n, "frame_skip": int(simreal.make(task).unwrapped.frame_skip)}
    out["raw_physics"] = raw_physics(task, n, args.steps, t)
    say("raw mujoco.batch", out["raw_physics"])
    out.update(stepping={}, ppo={}, sac_1={}, sac_n={})
    for kind, label in KINDS.items():
        out["stepping"][kind] = random_stepping(kind, task, n, args.steps, t)
        say(f"{label}, random actions", out["stepping"][kind])
    for kind, label in KINDS.items():
        out["ppo"][kind] = train_run("ppo", kind, task, n, args.steps, t)
        say(f"PPO on {label}", out["ppo"][kind]["steps_per_s"])
    for kind, label in KINDS.items():
        for key, envs in (("sac_1", 1), ("sac_n", n)):
            out[key][kind] = train_run("sac", kind, task, envs, args.sac_steps, t)
            say(f"SAC on {label}, {envs} env" + "s" * (envs > 1), out[key][kind]["steps_per_s"])
    out["ppo_over_raw"] = out["ppo"]["simreal"]["steps_per_s"] / out["raw_physics"]
    return out


def table(header: list[str], rows: list[list[object]], left: int) -> str:
    """A markdown table, its first ``left`` columns left-aligned, the rest right."""
    lines = ["| " + " | ".join(map(str, r)) + " |" for r in [header, *rows]]
    rule = "|" + "---|" * left + "---:|" * (len(header) - left)
    return "\n".join([lines[0], rule, *lines[1:]])


def tables(results: dict[str, dict]) -> str:
    """The three markdown tables: stepping, training rates, the training breakdown."""
    rate = "{:,.0f}".format
    stepping, training, shares = [], [], []
    for task, r in results.items():
        s, raw, base = r["stepping"], r["raw_physics"], r["ppo"]["simreal"]["steps_per_s"]
        stepping.append(
            [task, r["n_envs"], rate(raw), *map(rate, s.values()), f"{s['simreal'] / raw:.2f}"]
        )
        for k, label in KINDS.items():
            ppo = r["ppo"][k]["steps_per_s"]
            sac = [rate(r[a][k]["steps_per_s"]) for a in ("sac_1", "sac_n")]
            training.append([task, label, rate(ppo), f"{ppo / raw:.2f}", f"{ppo / base:.2f}", *sac])
        for algo, name in (("ppo", "PPO"), ("sac_n", "SAC")):
            for k, label in KINDS.items():
                run = r[algo][k]
                cells = [f"{run['fractions'][p]:.0%}" for p in PARTS]
                shares.append([task, f"{name} on {label}", f"{run['wall_s']:.1f}", *cells])
    rates = [
        "PPO, N envs",
        "PPO / raw physics",
        "PPO / PPO on make_vec",
        "SAC, 1 env",
        "SAC, N envs",
    ]
    return "\n\n".join(
        [
            table(
                ["task", "N", "raw `mujoco.batch`", *KINDS.values(), "make_vec / raw"], stepping, 1
            ),
            table(["task", "env", *rates], training, 2),
            table(["task", "run (N envs)", "wall s", *PARTS.values()], shares, 2),
        ]
    )


def interpretation(results: dict[str, dict]) -> str:
    """One paragraph read off the numbers."""
    sentences, largest = [], []
    for task, r in results.items():
        f, raw, vec = r["ppo"]["simreal"]["fractions"], r["raw_physics"], r["stepping"]["simreal"]
        env = f["physics"] + f["env_python"] + f["sb3_wrappers"]
        rate = r["ppo"]["simreal"]["steps_per_s"]
        sac_n, sac_1 = r["sac_n"]["simreal"], r["sac_1"]["simreal"]["steps_per_s"]
        largest.append(PARTS[max(f, key=f.get)])
        sentences.append(
            f"On {task.removeprefix('simreal/')} (N = {r['n_envs']}) the batched env steps at "
            f"{vec / raw:.2f} of the raw physics ({raw:,.0f}/s) and PPO trains at {rate:,.0f}/s, "
            f"{rate / raw:.2f} of it. Of PPO's wall time the physics takes {f['physics']:.0%}, "
            f"the rest of env stepping {env - f['physics']:.0%}, policy forward passes "
            f"{f['policy']:.0%}, other rollout work {f['rollout_other']:.0%} and gradient "
            f"updates {f['updates']:.0%}, so free env stepping would make PPO at most "
            f"{1 / (1 - env):.1f}x faster and free updates at most {1 / (1 - f['updates']):.1f}x. "
            f"PPO on make_vec is {rate / r['ppo']['sync']['steps_per_s']:.2f}x as fast as on "
            f"SyncVectorEnv and {rate / r['ppo']['dummy']['steps_per_s']:.2f}x as on DummyVecEnv; "
            f"SAC (one update per env step) trains at {sac_n['steps_per_s']:,.0f}/s with "
            f"{r['n_envs']} envs against {sac_1:,.0f}/s with one, "
            f"{sac_n['fractions']['updates']:.0%} of its time in gradient updates."
        )
    common = max(set(largest), key=largest.count)
    sentences.append(
        f"The largest single share of PPO's time on make_vec is {common} on "
        f"{largest.count(common)} of {len(largest)} tasks."
    )
    return " ".join(sentences)


def positive_int(text: str) -> int:
    """An integer >= 1 (an argparse type)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Flags, checked before any work; ``--quick`` fills those not given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", default=DEFAULT_TASKS, help="state task ids (default %(default)s)"
    )
    add = functools.partial(parser.add_argument, type=positive_int)
    add("--envs", help="envs N, >= 2 (default 16; --quick 4)")
    add(
        "--steps",
        help="timed PPO env-steps, a multiple of envs x 256 (default 16384; --quick 1024)",
    )
    add("--sac-steps", help="timed SAC env-steps, a multiple of envs (default 2048; --quick 128)")
    add("--threads", default=1, help="torch.set_num_threads and mujoco.batch threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="a smoke test of under a minute")
    parser.add_argument("--out", type=Path, default=OUT, help="JSON results file")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in args.tasks if t not in STATE_IDS]
    if unknown or not args.tasks:
        parser.error(f"--tasks: unknown task(s) {unknown}; choose from {', '.join(STATE_IDS)}.")
    if args.envs < 2:
        parser.error("--envs must be at least 2 (SAC is measured with 1 env and with N).")
    if args.steps % (args.envs * ROLLOUT):
        parser.error(
            f"--steps must be a multiple of --envs x {ROLLOUT} = "
            f"{args.envs * ROLLOUT}, e.g. {args.envs * ROLLOUT * 4}."
        )
    if args.sac_steps % args.envs:
        parser.error(f"--sac-steps must be a multiple of --envs ({args.envs}).")
    if args.out.is_dir():
        parser.error(f"--out {args.out} is a folder; give the path of a .json file.")
    return args


def main(argv: list[str] | None = None) -> None:
    """Measure, print the tables and the interpretation, write the JSON."""
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)  # VecMonitor over Monitor etc.
    torch.set_num_threads(args.threads)
    setup = (
        f"env-steps per second; torch.set_num_threads({args.threads}), mujoco.batch "
        f"nthread={args.threads}; N = {args.envs}; {args.steps:,} timed PPO and "
        f"{args.sac_steps:,} timed SAC env-steps"
    )
    print(setup, file=sys.stderr, flush=True)
    start = time.perf_counter()
    results = {task: measure(task, args) for task in args.tasks}
    text = interpretation(results)
    print(f"{setup}\n\n{tables(results)}\n\n{text}")
    settings = {
        **vars(args),
        "out": str(args.out),
        "ppo": ppo_settings(args.envs),
        "dr": None,
        "width": 1.0,
        "sac_1": sac_settings(1, args.sac_steps),
        "sac_n": sac_settings(args.envs, args.sac_steps),
        "versions": {"mujoco": mujoco.__version__, "torch": torch.__version__},
    }
    payload = {
        "settings": settings,
        "parts": PARTS,
        "tasks": results,
        "interpretation": text,
        "wall_s": time.perf_counter() - start,
    }
    write_json_atomic(args.out, payload)
    print(f"\nwrote {args.out} ({payload['wall_s']:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Wall time to 90% success: simreal's loop (demos -> BC -> SAC) against SB3 PPO from scratch.

Per task, in one process, one after the other (never at once, so neither slows the
other down), each with a wall-clock cap of ``--cap-seconds`` of training:

* **simreal's loop**: the task's expert demonstrates ``--demos`` episodes (100)
  (``simreal.learning.collect.collect``), a Gaussian BC clone is trained on them
  (``train_bc``, 100 epochs, 256x256), then ``finetune_sac`` fine-tunes it with the
  demonstrations in every batch (1 env, ``utd`` 2, 1,000 steps of critic warm-up,
  batch 256, learning rate 3e-4, 256x256 nets: the settings that reached 90% on Reach
  in 15,000 SAC steps). Its env steps count the demonstrations.
* **SB3 PPO from scratch**, what a user would otherwise run: ``MlpPolicy`` on
  ``VecNormalize(make_vec_env(task, n_envs=16), norm_reward=False)`` (Gymnasium envs in
  SB3's ``DummyVecEnv``), n_steps 256, batch 1024, 5 epochs, SB3's other defaults.

Both are evaluated the same way: the policy is written as a run folder and scored by
``simreal.learning.evaluate.evaluate`` (20 deterministic episodes on the nominal task,
seeds from 10,000). The loop is evaluated once after BC (its SAC step 0) and then every
``LOOP`` SAC steps, PPO every ``PPO`` env steps (``--eval-every LOOP,PPO``); each stops
at its first evaluation with >= 90% success or the first after its cap (so it may train
up to one interval past the cap; a 90% reached after the cap does not count). A reported
time is that evaluation's, so it bounds the true time to 90% from above by up to one
interval. The loop's SAC steps on simreal's ``make_vec`` (one env), PPO on ``DummyVecEnv``;
the expert that demonstrates is the task's own controller, given to the loop for free
(its env steps are counted, not the work of writing it).

How the loop is evaluated mid-run: ``finetune_sac`` takes no callbacks, and a rerun into
the same folder with a larger budget is refused (other settings), while separate runs of
5k, 10k, 15k ... steps would each start again from the clone and measure the sum, not
one run. Its checkpoints are the one place where it hands out its policy mid-run, and it
keeps only the newest, so the script sets ``checkpoint_every`` to the interval and, for
the run, replaces the ``save_checkpoint`` that its checkpointing callback calls by one
that writes the checkpoint as usual, copies its policy into a run folder, evaluates it
and stops the fine-tune (by an exception) once it has succeeded or hit the cap.

Training wall time excludes evaluation and the writing of run folders for it, and also
the loop's checkpoint writing (its frequency is the benchmark's choice, and PPO writes
none); both are reported apart. It includes everything else: building the envs and
models, and for the loop collecting the demonstrations and training the clone.
torch runs on one thread (simreal's default, see the README's throughput benchmark).

    python benchmarks/time_to_success.py [--tasks simreal/Reach-v0,simreal/Push-v0]
        [--cap-seconds 900] [--eval-every 1000,65536] [--demos 100] [--seed 0] [--quick]

Prints a markdown table and writes ``benchmarks/results/time_to_success.json``
(``--out``; ``--quick``, a smoke run of under a minute, writes ``time_to_success_quick.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

import simreal  # noqa: F401  (registers the tasks)
from simreal.atomic_io import write_json_atomic
from simreal.datasets.tables import read_columns
from simreal.envs.registry import TASKS
from simreal.learning import train_callbacks
from simreal.learning.bc import BCConfig, train_bc
from simreal.learning.checkpoint import save_checkpoint
from simreal.learning.collect import collect
from simreal.learning.evaluate import evaluate
from simreal.learning.obs_norm import OBS_NORM, save_obs_norm
from simreal.learning.policy_store import save_model
from simreal.learning.sac_finetune import SACFinetuneConfig
from simreal.learning.sac_finetune_run import finetune_sac

TARGET = 0.9
PPO_ENVS, ROLLOUT = 16, 256
PPO_SETTINGS = {"n_steps": ROLLOUT, "batch_size": 1024, "n_epochs": 5}
SAC_SETTINGS = {"batch_size": 256, "learning_rate": 3e-4, "policy_kwargs": {"net_arch": [256, 256]}}
SAC_BOUND = 1_000_000  # finetune_sac's step budget: never reached, the cap stops it first
STATE_IDS = [t.env_id for t in TASKS if t.kwargs.get("obs_type", "state") == "state"]
FULL = {"cap_seconds": 900.0, "eval_every": "1000,65536", "demos": 100, "bc_epochs": 100,
        "critic_warmup": 1000, "eval_episodes": 20}  # fmt: skip
QUICK = {"cap_seconds": 10.0, "eval_every": "250,4096", "demos": 5, "bc_epochs": 10,
         "critic_warmup": 100, "eval_episodes": 5}  # fmt: skip
RESULTS = Path(__file__).resolve().parent / "results"
METHODS = {"loop": "simreal loop (demos, BC, SAC)", "ppo": "SB3 PPO from scratch (16 envs)"}


class Clock:
    """Training wall time: seconds since start, less the time spent in :meth:`excluded`."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.paused = {"evaluation": 0.0, "checkpoints": 0.0}

    @contextlib.contextmanager
    def excluded(self, what: str) -> Iterator[None]:
        """Time spent inside does not count as training (booked under ``what``)."""
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.paused[what] += time.perf_counter() - begin

    def seconds(self) -> float:
        """Training seconds so far."""
        return time.perf_counter() - self.start - sum(self.paused.values())


class Progress:
    """One method's evaluations on one task, and when it first reached the target.

    Args:
        task: The env id evaluated on.
        clock: The method's training clock.
        episodes: Evaluation episodes.
        cap: Training seconds after which the method stops.
    """

    def __init__(self, task: str, clock: Clock, episodes: int, cap: float) -> None:
        self.task, self.clock, self.episodes, self.cap = task, clock, episodes, cap
        self.evaluations: list[dict] = []

    def evaluate(self, run: Path, env_steps: int) -> bool:
        """Evaluate a run folder at ``env_steps``; whether the method should stop."""
        seconds, begin = self.clock.seconds(), time.perf_counter()
        with self.clock.excluded("evaluation"):
            success = evaluate(run, self.task, episodes=self.episodes).success_rate
        self.evaluations.append({
            "env_steps": env_steps, "seconds": seconds, "success": success,
            "elapsed": begin - self.clock.start, "eval_seconds": time.perf_counter() - begin,
        })  # fmt: skip
        print(f"  {self.task}: {env_steps:>9,} env steps, {seconds:6.1f} s: {success:.0%}",
              file=sys.stderr, flush=True)  # fmt: skip
        return success >= TARGET or seconds >= self.cap

    def summary(self) -> dict:
        """Steps and seconds to the target (``None`` if not within the cap), best, totals."""
        hit = next((e for e in self.evaluations if e["success"] >= TARGET), None)
        if hit is not None and hit["seconds"] > self.cap:
            hit = None
        best = max(self.evaluations, key=lambda e: e["success"])
        last = self.evaluations[-1]
        return {
            "reached": hit is not None,
            "env_steps_to_90": hit["env_steps"] if hit else None,
            "seconds_to_90": hit["seconds"] if hit else None,
            "best_success": best["success"],
            "best_at_env_steps": best["env_steps"],
            "trained_env_steps": last["env_steps"],
            "trained_seconds": last["seconds"],
            "cap_seconds": self.cap,
            "excluded_seconds": dict(self.clock.paused),
            "evaluations": self.evaluations,
        }


def write_run(folder: Path, task: str, algo: str, steps: int, seed: int, n_envs: int) -> Path:
    """The ``config.json`` that makes a folder with a policy and ``obs_norm.npz`` a run."""
    document = {"task": task, "algo": algo, "steps": steps, "seed": seed, "n_envs": n_envs}
    write_json_atomic(folder / "config.json", document)
    return folder


class StopFinetuneError(Exception):
    """Raised from a checkpoint to end ``finetune_sac``: the target or the cap was reached."""


class CheckpointProbe:
    """A ``save_checkpoint`` that also evaluates every checkpoint's policy.

    Args:
        progress: Where the evaluations go.
        work: A folder for the evaluated run folders.
        demo_steps: Env steps of the demonstrations (counted in the loop's env steps).
        seed: The fine-tune's seed (recorded in the run folders).
    """

    def __init__(self, progress: Progress, work: Path, demo_steps: int, seed: int) -> None:
        self.progress, self.work, self.demo_steps, self.seed = progress, work, demo_steps, seed

    def __call__(self, folder: Path, model: object, env: object, steps: int, curve: list,
                 extra: dict | None = None, tensors: dict | None = None) -> Path:  # fmt: skip
        """Write the checkpoint, evaluate its policy; stop the fine-tune when it is done."""
        clock = self.progress.clock
        with clock.excluded("checkpoints"):
            path = save_checkpoint(folder, model, env, steps, curve, extra, tensors)
        with clock.excluded("evaluation"):
            run = self.work / f"sac-{steps:09d}"
            run.mkdir(parents=True)
            for name in ("policy.json", "policy.pt", OBS_NORM):
                shutil.copy2(path / name, run / name)
            write_run(run, self.progress.task, "sac", steps, self.seed, 1)
        if self.progress.evaluate(run, self.demo_steps + steps):
            env.close()
            raise StopFinetuneError
        return path


def run_loop(task: str, args: argparse.Namespace, work: Path) -> dict:
    """Demonstrations, BC, then SAC with demonstrations, evaluated as it goes."""
    clock = Clock()
    progress = Progress(task, clock, args.eval_episodes, args.cap_seconds)
    data = collect(task, "expert", episodes=args.demos, out=work / "demos.parquet", seed=args.seed)
    demo_steps = int(read_columns(data)["step"].size)
    collected = clock.seconds()
    bc = BCConfig(task, "gaussian", epochs=args.bc_epochs, seed=args.seed, hidden=(256, 256))
    bc_run = train_bc(bc, data, work / "bc", progress=False)
    cloned = clock.seconds()
    stages = {"collect": collected, "bc": cloned - collected}
    if not progress.evaluate(bc_run, demo_steps):
        config = SACFinetuneConfig(
            task, SAC_BOUND, seed=args.seed, n_envs=1, utd=2, critic_warmup=args.critic_warmup,
            checkpoint_every=args.eval_loop, algo_kwargs=SAC_SETTINGS,
        )  # fmt: skip
        probe = CheckpointProbe(progress, work / "evaluated", demo_steps, args.seed)
        # finetune_sac exposes its policy mid-run only at checkpoints, through the
        # save_checkpoint its checkpointing callback calls: evaluate there (module docstring).
        patched = mock.patch.object(train_callbacks, "save_checkpoint", probe)
        with patched, contextlib.suppress(StopFinetuneError):
            finetune_sac(config, bc_run, work / "sac", progress=False)
    stages["sac"] = progress.summary()["trained_seconds"] - cloned
    return {**progress.summary(), "demo_env_steps": demo_steps, "stage_seconds": stages}


class EvaluateEvery(BaseCallback):
    """Evaluate PPO's policy every ``every`` env steps; stop at the target or the cap.

    Evaluations happen at the start of a rollout, when the model has trained on every
    step it counts.

    Args:
        progress: Where the evaluations go.
        every: Env steps between evaluations (whole rollouts).
        work: A folder for the evaluated run folders.
        seed: PPO's seed (recorded in the run folders).
    """

    def __init__(self, progress: Progress, every: int, work: Path, seed: int) -> None:
        super().__init__()
        self.progress, self.every, self.work, self.seed = progress, every, work, seed
        self.done = False

    def _on_rollout_start(self) -> None:
        steps = self.num_timesteps
        if steps == 0 or (steps % self.every and self.progress.clock.seconds() < self.progress.cap):
            return
        with self.progress.clock.excluded("evaluation"):
            run = self.work / f"ppo-{steps:09d}"
            save_model(self.model, run)
            save_obs_norm(self.model.get_env(), run / OBS_NORM)
            write_run(run, self.progress.task, "ppo", steps, self.seed, PPO_ENVS)
        self.done = self.progress.evaluate(run, steps)

    def _on_step(self) -> bool:
        return not self.done


def run_ppo(task: str, args: argparse.Namespace, work: Path) -> dict:
    """SB3 PPO from scratch on ``DummyVecEnv``, evaluated every ``--eval-every`` steps."""
    clock = Clock()
    progress = Progress(task, clock, args.eval_episodes, args.cap_seconds)
    env = VecNormalize(make_vec_env(task, n_envs=PPO_ENVS, seed=args.seed), norm_reward=False)
    model = PPO("MlpPolicy", env, seed=args.seed, device="cpu", **PPO_SETTINGS)
    model.learn(10**12, callback=EvaluateEvery(progress, args.eval_ppo, work, args.seed))
    env.close()
    return progress.summary()


def ratio(ppo: dict, loop: dict, key: str) -> dict:
    """PPO / loop for ``seconds`` or ``env_steps``: a value, or a bound when one fell short."""
    p = ppo[f"{key}_to_90"] if ppo["reached"] else ppo[f"trained_{key}"]
    q = loop[f"{key}_to_90"] if loop["reached"] else loop[f"trained_{key}"]
    relation = {(True, True): "=", (True, False): "<=", (False, True): ">="}.get(
        (ppo["reached"], loop["reached"])
    )
    value = p / q if relation and q > 0 else None
    return {"relation": relation if value is not None else None, "value": value}


def cells(result: dict) -> list[str]:
    """A method's table cells: env steps and training seconds to 90%."""
    if result["reached"]:
        steps = f"{result['env_steps_to_90']:,}"
        if "demo_env_steps" in result:
            demos = result["demo_env_steps"]
            sac = result["env_steps_to_90"] - demos
            steps += f" ({demos:,} demo + {sac:,} SAC)"
        return [steps, f"{result['seconds_to_90']:.1f}"]
    return [
        f"> {result['trained_env_steps']:,}",
        f"not within {result['cap_seconds']:.0f} s (best success {result['best_success']:.0%} at "
        f"{result['best_at_env_steps']:,} steps)",
    ]


def table(results: dict[str, dict]) -> str:
    """The markdown table: per task, both methods and the ratio PPO / loop."""
    rows = ["| task | method | env steps to 90% | wall s to 90% (training only) |",
            "|---|---|---:|---:|"]  # fmt: skip
    for task, r in results.items():
        name = task.removeprefix("simreal/")
        for key, label in METHODS.items():
            rows.append(f"| {name} | {label} | " + " | ".join(cells(r[key])) + " |")
        shown = []
        for key in ("env_steps", "seconds"):
            q = r["ratio"][key]
            prefix = "" if q["relation"] == "=" else f"{q['relation']} "
            shown.append("n/a" if q["value"] is None else f"{prefix}{q['value']:.2f}x")
        rows.append(f"| {name} | PPO / loop | " + " | ".join(shown) + " |")
    return "\n".join(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Flags, checked before any work; ``--quick`` fills those not given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add(
        "--tasks",
        default="simreal/Reach-v0",
        help="state task ids, comma-separated (default %(default)s)",
    )
    add("--cap-seconds", type=float, help="training s per method and task (900; --quick 10)")
    add("--eval-every", help="LOOP[,PPO]: SAC steps between the loop's evaluations, env steps "
        f"between PPO's (a multiple of {PPO_ENVS} x {ROLLOUT}); one number sets both "
        "(default 1000,65536; --quick 250,4096)")  # fmt: skip
    add("--demos", type=int, help="the loop's expert episodes (100; --quick 5)")
    add("--seed", type=int, default=0, help="seed of both methods (default 0)")
    add("--quick", action="store_true", help="a smoke run of under a minute")
    add("--out", type=Path, help="JSON results file")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    for key, value in settings.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    name = "time_to_success_quick.json" if args.quick else "time_to_success.json"
    args.out = args.out or RESULTS / name
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in args.tasks if t not in STATE_IDS]
    if unknown or not args.tasks:
        parser.error(f"--tasks: unknown task(s) {unknown}; choose from {', '.join(STATE_IDS)}.")
    if not args.cap_seconds > 0 or args.cap_seconds == float("inf"):
        parser.error(f"--cap-seconds must be a positive number of seconds, got {args.cap_seconds}.")
    parts = args.eval_every.split(",")
    if len(parts) not in (1, 2) or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        parser.error(
            f"--eval-every must be LOOP[,PPO], positive integers, got {args.eval_every!r}."
        )
    args.eval_loop, args.eval_ppo = int(parts[0]), int(parts[-1])
    if args.eval_ppo % (PPO_ENVS * ROLLOUT):
        parser.error(
            f"--eval-every: PPO's interval must be a multiple of {PPO_ENVS} envs x {ROLLOUT} "
            f"steps = {PPO_ENVS * ROLLOUT}, e.g. 65536; got {args.eval_ppo}."
        )
    if args.demos < 1:
        parser.error(f"--demos must be >= 1 expert episodes, got {args.demos}.")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}.")
    if args.out.is_dir():
        parser.error(f"--out {args.out} is a folder; give the path of a .json file.")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run both methods per task, print the table, write the JSON."""
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(1)
    start = time.perf_counter()
    results: dict[str, dict] = {}
    for task in args.tasks:
        with tempfile.TemporaryDirectory(prefix="time-to-success-") as tmp:
            print(f"{task}: {METHODS['loop']}", file=sys.stderr, flush=True)
            loop = run_loop(task, args, Path(tmp) / "loop")
            print(f"{task}: {METHODS['ppo']}", file=sys.stderr, flush=True)
            ppo = run_ppo(task, args, Path(tmp) / "ppo")
        results[task] = {"loop": loop, "ppo": ppo}
        results[task]["ratio"] = {k: ratio(ppo, loop, k) for k in ("env_steps", "seconds")}
    text = table(results)
    print(text)
    keys = ("tasks", "cap_seconds", "eval_loop", "eval_ppo", "seed", "quick", "demos",
            "bc_epochs", "critic_warmup", "eval_episodes")  # fmt: skip
    settings = {k: getattr(args, k) for k in keys}
    settings.update(target=TARGET, ppo={**PPO_SETTINGS, "n_envs": PPO_ENVS},
                    sac={**SAC_SETTINGS, "utd": 2, "n_envs": 1}, torch_threads=1,
                    torch=torch.__version__)  # fmt: skip
    payload = {"settings": json.loads(json.dumps(settings)), "methods": METHODS,
               "tasks": results, "table": text, "wall_s": time.perf_counter() - start}  # fmt: skip
    write_json_atomic(args.out, payload)
    print(f"\nwrote {args.out} ({payload['wall_s']:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()

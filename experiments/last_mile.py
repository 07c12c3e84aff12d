"""The last mile on one task: BC -> RL in simulation -> fine-tuning on the real proxy.

For each seed, the user's loop, stage by stage:

1. **demonstrations**: the task's expert under randomization — centred on a sysid fit of
   the real proxy where the task ships a ``sysid.yaml`` (a 20 s log recorded through the
   proxy's sensors, fitted as ``simreal demo`` does), else the task's default spec;
2. **BC**: a Gaussian clone of them (``simreal bc --head gaussian``);
3. **BC -> RL**: SAC with the demonstrations in every batch, the actor distilled from
   the clone, under the same randomization (``simreal finetune --algo sac``); or, with
   ``--rl ppo``, PPO on batched envs from the clone (``simreal finetune``);
4. **+ target fine-tuning**: the BC -> RL policy fine-tuned on the real proxy within an
   episode budget (<= 50), by the same algorithm (SAC: the demonstrations still in the
   batches);
5. **RL from scratch**: the same algorithm (``simreal train``) with the same settings and
   randomization, for the env steps of stages 1 + 3 (the demonstrations count).

Every policy is evaluated on the nominal model and on the real proxy (seeds from 10,000,
disjoint from training), beside the task's expert. Reported: mean over seeds with 95%
t intervals, the success rate (mean over seeds), Welch tests between methods on the real
proxy, and learning curves (``<out>.png``). Every stage writes its folder atomically and
is skipped when it exists, so an interrupted run resumes where it stopped.

    python experiments/last_mile.py --task simreal/Reach-v0 [--rl ppo] [--seeds 3] [--steps 10000]

Writes <out>/results.json, <out>/last_mile.png (default experiments/results/last_mile_<task>).
"""

from __future__ import annotations

import argparse
import csv
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import scipy.stats
import torch

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.demo import DemoConfig, identify, record_real_log
from simreal.envs.registry import task_for
from simreal.learning.bc import BCConfig, train_bc
from simreal.learning.collect import collect
from simreal.learning.evaluate import evaluate
from simreal.learning.finetune import FinetuneConfig, finetune
from simreal.learning.sac_finetune import SACFinetuneConfig
from simreal.learning.sac_finetune_run import finetune_sac
from simreal.learning.train import TrainConfig, train
from simreal.randomization import load_spec
from simreal.stats import mean_ci


@dataclass(frozen=True)
class Settings:
    """One task family's loop: demonstrations, network, SAC and the target budget."""

    demos: int  # expert episodes
    steps: int  # BC -> RL env steps in simulation
    net: tuple[int, ...]
    utd: int = 2
    critic_warmup: int = 1000
    target_episodes: int = 50
    batch_size: int = 256
    learning_rate: float = 3e-4
    bc_anchor: float = 0.0  # TD3+BC's BC term inside every actor update (0: off)
    qfilter_bc: bool = True  # the Q-filtered BC step beside every update
    rl: str = "sac"  # the fine-tuning algorithm: "sac" (demos in every batch) or "ppo"
    ppo_envs: int = 16  # PPO: batched envs (SAC runs on one)
    ppo_kwargs: tuple[tuple[str, int], ...] = (("n_steps", 256), ("batch_size", 1024),
                                               ("n_epochs", 5))  # fmt: skip


# Reach with PPO: SAC lost the clone within 100 steps of its warm-up's end (the README says
# why); PPO of 16 batched envs with rollouts of 256 steps kept and sharpened it.
REACH_PPO = {"steps": 524_288, "critic_warmup": 16_384, "rl": "ppo"}

FAMILIES = {
    "PendulumSwingup": Settings(demos=10, steps=8000, net=(64, 64), learning_rate=1e-3),
    "CartpoleBalance": Settings(demos=10, steps=10000, net=(64, 64), learning_rate=1e-3),
    # 50 demonstrations: under the default spec a clone of 10 swung the proxy up in 5% of
    # episodes, of 50 in 100% (20 episodes each).
    "CartpoleSwingup": Settings(demos=50, steps=10000, net=(64, 64), learning_rate=1e-3),
    # 100 demonstrations: a clone of 20 reached 5% success on the nominal model, of 100 90%.
    "Reach": Settings(demos=100, steps=15000, net=(256, 256)),
    "Reach/ppo": Settings(demos=100, net=(256, 256), **REACH_PPO),
    "Push": Settings(demos=20, steps=20000, net=(256, 256)),
    # Push with Reach's PPO recipe over twice the steps, from a clone of 200 demonstrations
    # (of 50, 0% success in one probe; of 200, 35% on average over 3 seeds).
    "Push/ppo": Settings(
        demos=200, net=(256, 256), steps=1_048_576, critic_warmup=32_768, rl="ppo"
    ),
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--task", default="simreal/Reach-v0")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--steps", type=int, default=None, help="BC -> RL env steps (SAC or PPO)")
parser.add_argument("--target-episodes", type=int, default=None, help="default: per task (50)")
parser.add_argument("--episodes", type=int, default=20, help="evaluation episodes per plant")
parser.add_argument(
    "--bc-anchor", type=float, default=None, help="TD3+BC's BC weight in SAC (default: 0)"
)
parser.add_argument(
    "--rl", choices=("sac", "ppo"), default="sac",
    help="fine-tuning algorithm: sac (demonstrations in every batch) or ppo (Reach has ppo "
    "settings) (default: sac)",
)  # fmt: skip
parser.add_argument("--out", type=Path, default=None)
args = parser.parse_args()

torch.set_num_threads(1)  # small MLPs: one thread is as fast, and immune to oversubscription
task = task_for(args.task)
family = task.name if args.rl == "sac" else f"{task.name}/{args.rl}"
if family not in FAMILIES:
    parser.error(f"--task/--rl: no settings for {family}; use one of {', '.join(FAMILIES)}.")
settings = FAMILIES[family]
if args.steps is not None or args.target_episodes is not None or args.bc_anchor is not None:
    chosen = {"steps": args.steps or settings.steps,
              "target_episodes": args.target_episodes or settings.target_episodes,
              "bc_anchor": settings.bc_anchor if args.bc_anchor is None
              else args.bc_anchor}  # fmt: skip
    settings = Settings(**{**asdict(settings), **chosen})
out = args.out or Path(f"experiments/results/last_mile_{family.replace('/', '_')}")
out.mkdir(parents=True, exist_ok=True)
real = task.real_id
started = time.perf_counter()

# The randomization: centred on a fit of the real proxy where the task ships a sysid.yaml.
spec_path, centred = task.default_spec_path, False
if task.default_spec_path.with_name("sysid.yaml").is_file():
    log, spec_path, centred = out / "real_log.parquet", out / "fit.yaml", True
    demo = DemoConfig(task=args.task)
    if not log.is_file():
        record_real_log(demo, log, print)
    if not spec_path.is_file():
        identify(demo, log, spec_path, print)
dr = load_spec(spec_path).to_dict()
sac = {"batch_size": settings.batch_size, "learning_rate": settings.learning_rate,
       "policy_kwargs": {"net_arch": list(settings.net)}}  # fmt: skip


def done(folder: Path) -> bool:
    return (folder / "policy.json").is_file()


def evaluations(folder: Path | str, seed_dir: Path, name: str) -> dict:
    """Return and success on both plants, cached in the seed's folder."""
    path = seed_dir / f"eval_{name}.json"
    if path.is_file():
        import json

        return json.loads(path.read_text())
    result = {}
    for key, env_id in (("nominal", args.task), ("real", real)):
        e = evaluate(folder, env_id, episodes=args.episodes)
        result[key] = {"return": e.mean_return, "success": e.success_rate}
    write_json_atomic(path, result)
    return result


per_seed: dict[str, list[dict]] = {}
curves: dict[str, list[np.ndarray]] = {"BC -> RL": [], "RL from scratch": [], "target": []}
demo_steps = 0
for seed in range(args.seeds):
    seed_dir = out / f"seed_{seed}"
    seed_dir.mkdir(exist_ok=True)
    demos = seed_dir / "demos.parquet"
    if not demos.is_file():
        collect(args.task, "expert", episodes=settings.demos, out=demos, dr=dr, width=1.0,
                seed=1000 * seed)  # fmt: skip
    import pyarrow.parquet as pq

    demo_steps = pq.read_metadata(demos).num_rows
    bc = seed_dir / "bc"
    if not done(bc):
        train_bc(BCConfig(args.task, "gaussian", epochs=100, seed=seed, hidden=settings.net),
                 demos, bc, progress=False)  # fmt: skip
    bcrl, target, scratch = seed_dir / "bcrl", seed_dir / "target", seed_dir / "scratch"
    budget = demo_steps + settings.steps
    if settings.rl == "sac":
        config = SACFinetuneConfig(args.task, settings.steps, seed=seed, dr=dr,
                                   demos=(str(demos),), utd=settings.utd,
                                   critic_warmup=settings.critic_warmup,
                                   bc_anchor=settings.bc_anchor, qfilter_bc=settings.qfilter_bc,
                                   algo_kwargs=sac)  # fmt: skip
        finetune_sac(config, bc, bcrl, progress=False)
        rates = {"batch_size": settings.batch_size, "learning_rate": settings.learning_rate}
        config = SACFinetuneConfig(real, None, seed=seed, demos=(str(demos),), utd=settings.utd,
                                   critic_warmup=0, episodes=settings.target_episodes,
                                   bc_anchor=settings.bc_anchor, qfilter_bc=settings.qfilter_bc,
                                   algo_kwargs=rates)  # fmt: skip
        finetune_sac(config, bcrl, target, progress=False)
        if not done(scratch):
            kwargs = {**sac, "gradient_steps": settings.utd, "learning_starts": 100}
            train(TrainConfig(args.task, "sac", budget, seed, 1, dr, 1.0, 5000, kwargs), scratch,
                  progress=False)  # fmt: skip
    else:  # PPO: the clone fine-tuned with simreal finetune's remedies, the same PPO from scratch
        ppo = dict(settings.ppo_kwargs)
        if not done(bcrl):
            finetune(FinetuneConfig(args.task, settings.steps, seed, settings.ppo_envs, dr,
                                    critic_warmup=settings.critic_warmup, algo_kwargs=ppo),
                     bc, bcrl)  # fmt: skip
        if not done(target):  # init_std None: the fine-tuned policy's own std goes on
            finetune(FinetuneConfig(real, None, seed, settings.ppo_envs, None, init_std=None,
                                    algo_kwargs=ppo, episodes=settings.target_episodes),
                     bcrl, target)  # fmt: skip
        if not done(scratch):
            kwargs = {**ppo, "policy_kwargs": {"net_arch": list(settings.net)}}
            train(TrainConfig(args.task, "ppo", budget, seed, settings.ppo_envs, dr, 1.0,
                              budget // 4, kwargs), scratch, progress=False)  # fmt: skip
    rows = {"expert": evaluations("expert", seed_dir, "expert")}
    for name, folder in (("BC", bc), ("BC -> RL", bcrl), ("+ target fine-tuning", target),
                         ("RL from scratch", scratch)):  # fmt: skip
        rows[name] = evaluations(folder, seed_dir, folder.name)
    for name, row in rows.items():
        per_seed.setdefault(name, []).append(row)
    for name, folder, offset in (("BC -> RL", bcrl, demo_steps), ("target", target, 0)):
        points = list(csv.DictReader((folder / "curve.csv").open()))
        curves[name].append(np.array([[int(p["env_steps"]) + offset,
                                       float(p.get("return") or p["mean_return"])]
                                      for p in points]))  # fmt: skip
    points = list(csv.DictReader((scratch / "curve.csv").open()))
    curves["RL from scratch"].append(
        np.array([[int(p["env_steps"]), float(p["mean_return"])] for p in points])
    )
    print(f"seed {seed} done ({time.perf_counter() - started:.0f} s)", flush=True)

summary: dict = {"task": args.task, "real_proxy": real, "settings": asdict(settings),
                 "dr": str(spec_path), "sysid_centred": centred, "demo_steps": demo_steps,
                 "seeds": args.seeds, "eval_episodes": args.episodes, "methods": {}}  # fmt: skip
print(f"\n{args.task}: {args.seeds} seeds, {args.episodes} evaluation episodes per plant; DR "
      f"{'centred on the sysid fit' if centred else 'default spec'}; BC -> RL "
      f"{settings.steps:,} {settings.rl.upper()} steps after {demo_steps:,} demonstration "
      "steps; RL from scratch "
      f"{demo_steps + settings.steps:,} steps; target fine-tuning {settings.target_episodes} "
      "episodes on the real proxy")  # fmt: skip
print("| method | return, nominal | success, nominal | return, real proxy | success, real proxy |")
print("|---|---:|---:|---:|---:|")
for name, rows in per_seed.items():
    entry = {}
    cells = []
    for plant in ("nominal", "real"):
        r_mean, r_half = mean_ci([row[plant]["return"] for row in rows])
        s_mean, s_half = mean_ci([row[plant]["success"] for row in rows])
        entry[plant] = {"return": r_mean, "return_ci95": r_half, "success": s_mean,
                        "success_ci95": s_half,
                        "per_seed": [row[plant] for row in rows]}  # fmt: skip
        cells += [f"{r_mean:.1f} ± {r_half:.1f}", f"{s_mean:.0%} ± {s_half:.0%}"]
    summary["methods"][name] = entry
    print(f"| {name} | " + " | ".join(cells) + " |")
tests = {}
for a, b in (("BC -> RL", "BC"), ("BC -> RL", "RL from scratch"),
             ("+ target fine-tuning", "BC -> RL"), ("+ target fine-tuning", "expert")):  # fmt: skip
    for metric in ("success", "return"):
        x = [row["real"][metric] for row in per_seed[a]]
        y = [row["real"][metric] for row in per_seed[b]]
        p = float(scipy.stats.ttest_ind(x, y, equal_var=False).pvalue) if len(x) > 1 else None
        tests[f"{a} vs {b}, real {metric}"] = p
        if p is not None and np.isfinite(p):
            print(f"{a} vs {b} on the real proxy ({metric}): Welch p = {p:.3f}")
summary["welch_p"] = tests
summary["seconds"] = round(time.perf_counter() - started, 1)
write_json_atomic(out / "results.json", summary)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, (sim_ax, target_ax) = plt.subplots(1, 2, figsize=(11, 4))
for name, colour in (("BC -> RL", "tab:blue"), ("RL from scratch", "tab:gray")):
    for k, curve in enumerate(curves[name]):
        sim_ax.plot(curve[:, 0], curve[:, 1], color=colour, alpha=0.6,
                    label=f"{name} ({args.seeds} seeds)" if k == 0 else None)  # fmt: skip
sim_ax.axhline(np.mean([r["nominal"]["return"] for r in per_seed["expert"]]), color="tab:green",
               ls="--", label="expert, nominal")  # fmt: skip
sim_ax.set_xlabel("env steps in simulation (BC -> RL includes the demonstrations)")
sim_ax.set_ylabel("training episode return (under DR)")
sim_ax.legend(loc="lower right")
limit = gym.spec(real).max_episode_steps
for k, curve in enumerate(curves["target"]):
    target_ax.plot(curve[:, 0] / limit, curve[:, 1], color="tab:red", alpha=0.6,
                   label="target fine-tuning" if k == 0 else None)  # fmt: skip
target_ax.axhline(np.mean([r["real"]["return"] for r in per_seed["expert"]]), color="tab:green",
                  ls="--", label="expert, real proxy")  # fmt: skip
target_ax.set_xlabel("training episodes on the real proxy (env steps / episode length)")
target_ax.set_ylabel("episode return")
target_ax.legend(loc="lower right")
fig.suptitle(f"{args.task}: the last mile")
fig.tight_layout()
write_atomic(out / "last_mile.png", lambda tmp: fig.savefig(tmp, dpi=100))
print(f"wrote {out / 'results.json'} and {out / 'last_mile.png'} in {summary['seconds']:.0f} s")

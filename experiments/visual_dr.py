"""Does visual randomization make a pixel policy survive the real camera (Tobin et al. 2017)?

A pixel student (``simreal dagger``: NatureCNN on the camera image plus the joint
encoders, taught by the task's state expert) is trained per seed under each condition,
with the same DAgger budget:

* ``no visual DR``: the task's dynamics randomization only (the visual terms of its
  pixel spec dropped);
* ``augmentation``: the same, with DrQ's random shifts and a colour jitter;
* ``visual DR w<W>``: the whole pixel spec (lights, materials, table texture, camera
  and dynamics) with the visual terms at W times their configured spread and the
  dynamics at width 1 as above, for each ``--widths``; the visual terms are redrawn
  every ``--visual-every`` steps (default 1: every frame), the dynamics at each reset.

Every student is evaluated on the nominal pixel task and on the pixel proxy, whose
camera shows a scene no DR sample holds (``envs/camera_gap.py``), with the same
seeds. Beside them: the state expert on the same plants, and a state student (DAgger
on the nominal state task, whole episodes, the same rounds and episodes per round, a
Gaussian clone) on the state task and its proxy, which has the proxy's physics gap and
no camera. Mean success and
return over seeds with 95% t intervals, Welch tests of every condition against
``no visual DR`` on the proxy, a bar chart, ``results.json``. Every student and every
evaluation is written as it ends, so a rerun resumes. ``--jobs`` students train at
once, one core each.

    python experiments/visual_dr.py [--task simreal/ReachPixels-v0] [--seeds 3]
        [--widths 0.5,1,2] [--rounds 4] [--episodes 100] [--episode-steps 25]
        [--image-size 64] [--visual-every 1] [--epochs 15] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
import scipy.stats
import torch

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.envs.registry import task_for
from simreal.learning.bc import BCConfig
from simreal.learning.dagger import DaggerConfig, dagger
from simreal.learning.evaluate import evaluate
from simreal.learning.pixel_student import StudentConfig, train_student
from simreal.randomization import load_spec
from simreal.randomization.visual_terms import visual_every, visual_width, without_visual
from simreal.stats import mean_ci

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--task", default="simreal/ReachPixels-v0")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--widths", default="0.5,1,2", help="widths of the visual DR conditions")
parser.add_argument("--rounds", type=int, default=4, help="DAgger rounds after the expert's")
parser.add_argument("--episodes", type=int, default=100, help="labelled episodes per round")
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--episode-steps", type=int, default=25, help="steps per labelled episode")
parser.add_argument("--image-size", type=int, default=64)
parser.add_argument("--visual-every", type=int, default=1,
                    help="redraw visual terms every N steps (0: at resets only)")  # fmt: skip
parser.add_argument("--jobs", type=int, default=2, help="students trained at once (one core each)")
parser.add_argument("--eval-episodes", type=int, default=20)
parser.add_argument("--out", type=Path, default=None)
args = parser.parse_args()

task = task_for(args.task)
real = task.real_id
state = task_for(task.env_id.replace("Pixels", ""))  # the state task of the same robot
out = args.out or Path(f"experiments/results/visual_dr_{task.name}")
out.mkdir(parents=True, exist_ok=True)
started = time.perf_counter()

spec = load_spec(task.default_spec_path)
dynamics = without_visual(spec).to_dict()
conditions: dict[str, dict] = {
    "no visual DR": {"dr": dynamics, "width": 1.0, "augment": "none"},
    "augmentation": {"dr": dynamics, "width": 1.0, "augment": "shift+jitter"},
}
# Visual terms redrawn every ``--visual-every`` steps: within an episode the label (the
# teacher's joint targets for this episode's target) stays while the look changes, so the
# student cannot key its answer on an episode's lighting or texture. The width of a visual
# DR condition widens the visual terms alone (``width_factor``); the dynamics stay at
# width 1, as in the other conditions, so the conditions differ only in what the camera sees.
for width in (float(w) for w in args.widths.split(",")):
    visual = visual_width(spec, width)
    visual = visual_every(visual, args.visual_every) if args.visual_every else visual
    conditions[f"visual DR w{width:g}"] = {"dr": visual.to_dict(), "width": 1.0, "augment": "none"}


def evaluations(policy: str | Path, name: Path, plants: tuple[tuple[str, str], ...]) -> dict:
    """Nominal and proxy success and return of one policy (cached as JSON with its settings)."""
    path = name.with_suffix(".eval.json")
    settings = {"eval_episodes": args.eval_episodes, "plants": [list(p) for p in plants]}
    if path.is_file():
        cached = json.loads(path.read_text())
        if cached.get("settings") == settings:
            return cached
    result: dict = {"settings": settings}
    for plant, env_id in plants:
        e = evaluate(policy, env_id, episodes=args.eval_episodes)
        result[plant] = {"return": e.mean_return, "success": e.success_rate}
    write_json_atomic(path, result)
    return result


def run_job(job: tuple[str, int]) -> tuple[str, int, dict]:
    """Train (or resume) and evaluate one policy of one condition and seed."""
    torch.set_num_threads(1)  # one job per core
    name, seed = job
    pixel_plants = (("nominal", args.task), ("real", real))
    if name == "expert":
        return name, seed, evaluations("expert", out / "expert", pixel_plants)
    folder = out / name.replace(" ", "_") / f"seed_{seed}"
    if name == "state student":  # the same expert, taught on state: the physics gap alone
        finished = folder / "dagger.json"  # written last: the student is complete
        recorded = json.loads(finished.read_text()) if finished.is_file() else {}
        if (len(recorded.get("rounds", [])), recorded.get("episodes")) != (
            args.rounds + 1, args.episodes
        ):  # fmt: skip
            shutil.rmtree(folder, ignore_errors=True)
            bc = BCConfig(state.env_id, head="gaussian", epochs=50, seed=seed)
            dagger(DaggerConfig(bc, iterations=args.rounds, episodes=args.episodes, seed=seed),
                   folder, progress=False)  # fmt: skip
        policy = folder / "policy"
        plants = (("nominal", state.env_id), ("real", state.real_id))
        return name, seed, evaluations(policy, folder / "student", plants)
    setting = conditions[name]
    config = StudentConfig(args.task, dr=setting["dr"], width=setting["width"],
                           image_size=args.image_size, rounds=args.rounds,
                           episodes=args.episodes, episode_steps=args.episode_steps,
                           epochs=args.epochs, augment=setting["augment"], seed=seed)  # fmt: skip
    policy = train_student(config, folder, progress=False)
    return name, seed, evaluations(policy, folder / "student", pixel_plants)


names = ["expert", "state student", *conditions]
jobs = [("expert", 0)] + [(n, seed) for n in names[1:] for seed in range(args.seeds)]
per_seed: dict[tuple[str, int], dict] = {}
# fork: the workers inherit the parsed arguments; no renderer exists before the fork.
with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("fork")) as pool:
    for name, seed, row in pool.map(run_job, jobs):
        per_seed[name, seed] = row
        print(f"{name}, seed {seed}: success nominal {row['nominal']['success']:.0%}, "
              f"proxy {row['real']['success']:.0%} ({time.perf_counter() - started:.0f} s)",
              flush=True)  # fmt: skip
per_condition = {n: [per_seed[k] for k in sorted(per_seed) if k[0] == n] for n in names}

summary: dict = {"task": args.task, "real_proxy": real, "seeds": args.seeds,
                 "rounds": args.rounds, "episodes": args.episodes, "epochs": args.epochs,
                 "episode_steps": args.episode_steps, "visual_every": args.visual_every,
                 "image_size": args.image_size, "eval_episodes": args.eval_episodes,
                 "conditions": {}, "welch_p_vs_no_visual_dr": {}}  # fmt: skip
print(f"\n{args.task}: {args.seeds} seeds, {args.eval_episodes} evaluation episodes per plant")
print("| policy | success, nominal | success, proxy | kept on the proxy | return, nominal "
      "| return, proxy |")  # fmt: skip
print("|---|---:|---:|---:|---:|---:|")
for name, rows in per_condition.items():
    entry, cells = {}, []
    for metric in ("success", "return"):
        for plant in ("nominal", "real"):
            mean, half = mean_ci([r[plant][metric] for r in rows])
            entry[f"{plant}_{metric}"] = {"mean": mean, "ci95": half,
                                          "per_seed": [r[plant][metric] for r in rows]}  # fmt: skip
            cells.append(f"{mean:.0%} ± {half:.0%}" if metric == "success" else f"{mean:.1f}")
    # The target's measure: the share of its nominal success a policy keeps on the proxy.
    nominal = entry["nominal_success"]["mean"]
    entry["kept"] = entry["real_success"]["mean"] / nominal if nominal > 0 else None
    cells.insert(2, "n/a" if entry["kept"] is None else f"{entry['kept']:.0%}")
    summary["conditions"][name] = entry
    print(f"| {name} | " + " | ".join(cells) + " |")
    if name not in ("expert", "state student", "no visual DR") and args.seeds > 1:
        tests = {}
        for metric in ("success", "return"):
            x = [r["real"][metric] for r in rows]
            y = [r["real"][metric] for r in per_condition["no visual DR"]]
            p = float(scipy.stats.ttest_ind(x, y, equal_var=False).pvalue)
            tests[metric] = p if np.isfinite(p) else None  # None: both constant and equal
        summary["welch_p_vs_no_visual_dr"][name] = tests
        print(
            f"  {name} vs no visual DR on the proxy, Welch p: "
            + ", ".join(f"{m} {'n/a' if p is None else f'{p:.3f}'}" for m, p in tests.items())
        )
summary["seconds"] = round(time.perf_counter() - started, 1)
write_json_atomic(out / "results.json", summary)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

names = list(per_condition)
figure, axis = plt.subplots(figsize=(1.4 * len(names) + 2, 3.6))
for offset, plant, colour in ((-0.2, "nominal", "tab:blue"), (0.2, "real", "tab:red")):
    means = [summary["conditions"][n][f"{plant}_success"]["mean"] for n in names]
    halves = [summary["conditions"][n][f"{plant}_success"]["ci95"] for n in names]
    label = "nominal pixel task" if plant == "nominal" else "pixel proxy (real camera)"
    axis.bar(np.arange(len(names)) + offset, means, 0.4, yerr=halves, capsize=3, color=colour,
             label=label)  # fmt: skip
axis.set_xticks(np.arange(len(names)), names, rotation=20, ha="right", fontsize=8)
axis.set_ylabel(f"success (mean, 95% CI over {args.seeds} seeds)")
axis.set_ylim(0, 1.05)
axis.set_title(f"Pixel students on {args.task}: visual randomization and the real camera")
axis.legend(fontsize=8)
figure.tight_layout()
write_atomic(out / "visual_dr.png", lambda tmp: figure.savefig(tmp, dpi=110, format="png"))
print(f"wrote {out / 'results.json'} and {out / 'visual_dr.png'} "
      f"in {time.perf_counter() - started:.0f} s")  # fmt: skip

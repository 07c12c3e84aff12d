"""Does a designed excitation shrink the fit's intervals against a plain multisine?

For each model — simreal's pendulum and Gymnasium's ``Reacher-v5`` (a model nobody here
wrote) — and each seed, two logs of the same length, sample period and amplitude bound
are recorded on the model with hidden parameter values (and a command latency), with
white sensor noise: the plain multisine of ``simreal record`` and the D-optimal multisine
of ``simreal record --excitation optimal`` designed on the nominal model for the same
parameters and phases. Each log is fitted (``simreal.sysid.fit``); reported per
design: the mean over parameters of the 95% interval's half-width relative to the
truth, the worst relative error, and how many intervals hold the truth. Mean and 95%
t intervals over seeds, a paired t-test of the log interval widths. Results are cached
per model and seed, so a rerun resumes; ``results.json`` at the end.

    python experiments/optimal_excitation.py [--seeds 3] [--duration 20] [--noise 0.005]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np
import scipy.stats

from simreal.asset_paths import asset_path
from simreal.atomic_io import write_json_atomic
from simreal.stats import mean_ci
from simreal.sysid.design import d_optimal_multisine
from simreal.sysid.excitation import excitation, record
from simreal.sysid.fit import fit
from simreal.sysid.problem import FitParam

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--duration", type=float, default=20.0, help="seconds per log")
parser.add_argument("--noise", type=float, default=0.005, help="fraction of each signal's range")
parser.add_argument("--evaluations", type=int, default=48, help="candidates the design simulates")
parser.add_argument("--out", type=Path, default=Path("experiments/results/optimal_excitation"))
args = parser.parse_args()
args.out.mkdir(parents=True, exist_ok=True)
started = time.perf_counter()

CASES = {
    "pendulum": {
        "model": lambda: mujoco.MjModel.from_xml_path(str(asset_path("pendulum.xml"))),
        "hidden": {"body[pole].mass": 1.3, "joint[hinge].damping": 0.12,
                   "joint[hinge].armature": 0.02, "joint[hinge].frictionloss": 0.04},
        "params": [FitParam("body[pole].mass", 0.5, 3.0), FitParam("joint[hinge].damping", 0, 1),
                   FitParam("joint[hinge].armature", 0, 0.1),
                   FitParam("joint[hinge].frictionloss", 0, 0.2)],
        "latency": 0.03, "qpos0": np.array([np.pi]),
    },
    "Reacher-v5 (Gymnasium)": {  # its joints' damping and armature (1 each, nominal) dominate
        "model": lambda: gym.make("Reacher-v5").unwrapped.model,
        "hidden": {"joint[joint0].damping": 1.3, "joint[joint1].damping": 0.8,
                   "joint[joint0].armature": 1.2, "joint[joint1].armature": 0.9},
        "params": [FitParam("joint[joint0].damping", 0.2, 3.0),
                   FitParam("joint[joint1].damping", 0.2, 3.0),
                   FitParam("joint[joint0].armature", 0.2, 3.0),
                   FitParam("joint[joint1].armature", 0.2, 3.0)],
        "latency": 0.02, "qpos0": None,
    },
}  # fmt: skip
DT = 0.02


def run(case: str, seed: int) -> dict:
    """Both designs on one model and seed: interval widths, errors, coverage (cached)."""
    path = args.out / f"{case.split()[0]}_seed_{seed}.json"
    settings = {"duration": args.duration, "noise": args.noise, "evaluations": args.evaluations}
    if path.is_file() and json.loads(path.read_text()).get("settings") == settings:
        return json.loads(path.read_text())
    spec = CASES[case]
    model = spec["model"]()
    params = [*spec["params"], FitParam("latency.action", 0.0, 0.1)]
    truth = {**spec["hidden"], "latency.action": spec["latency"]}
    signals = {
        "plain multisine": excitation("multisine", args.duration, DT, model.actuator_ctrlrange,
                                      np.random.default_rng(seed)),
        "D-optimal": d_optimal_multisine(model, params, args.duration, DT,
                                         np.random.default_rng(seed),
                                         evaluations=args.evaluations),
    }  # fmt: skip
    row: dict = {"settings": settings}
    for name, commands in signals.items():
        noise_rng = np.random.default_rng([seed, 1])  # the same noise draws for both
        log = record(model, commands, DT, spec["hidden"], spec["latency"], args.noise, noise_rng,
                     qpos0=spec["qpos0"])  # fmt: skip
        result = fit(model, params, [log], progress=None)
        values, half = result.values, 1.96 * result.std_errors
        true = np.array([truth[p.id] for p in params])
        low, high = result.ci95
        row[name] = {
            "relative_half_width": float(np.mean(half / np.abs(true))),
            "worst_error": float(np.max(np.abs(values / true - 1))),
            "covered": int(np.sum((low <= true) & (true <= high))),
            "params": len(params),
            "peak_command": float(np.abs(commands - model.actuator_ctrlrange.mean(axis=1)).max()),
        }
    write_json_atomic(path, row)
    return row


summary: dict = {"seeds": args.seeds, "duration": args.duration, "noise": args.noise,
                 "evaluations": args.evaluations, "cases": {}}  # fmt: skip
print("| model | excitation | 95% half-width / truth (mean over params) | worst error | "
      "intervals holding the truth |")  # fmt: skip
print("|---|---|---:|---:|---:|")
for case in CASES:
    rows = [run(case, seed) for seed in range(args.seeds)]
    entry = {}
    for name in ("plain multisine", "D-optimal"):
        width = mean_ci([r[name]["relative_half_width"] for r in rows])
        worst = mean_ci([r[name]["worst_error"] for r in rows])
        covered = sum(r[name]["covered"] for r in rows)
        total = sum(r[name]["params"] for r in rows)
        entry[name] = {"relative_half_width": width, "worst_error": worst,
                       "covered": covered, "intervals": total}  # fmt: skip
        print(f"| {case} | {name} | {width[0]:.2%} ± {width[1]:.2%} | {worst[0]:.2%} | "
              f"{covered}/{total} |")  # fmt: skip
    ratio = [np.log(r["D-optimal"]["relative_half_width"])
             - np.log(r["plain multisine"]["relative_half_width"]) for r in rows]  # fmt: skip
    p = float(scipy.stats.ttest_1samp(ratio, 0.0).pvalue) if len(rows) > 1 else float("nan")
    entry["width_ratio"] = float(np.exp(np.mean(ratio)))
    entry["paired_p"] = p if np.isfinite(p) else None
    summary["cases"][case] = entry
    print(f"  {case}: D-optimal / plain interval width {entry['width_ratio']:.2f} "
          f"(paired t-test on the log ratio, p = {p:.3f})")  # fmt: skip
summary["seconds"] = round(time.perf_counter() - started, 1)
write_json_atomic(args.out / "results.json", summary)
print(f"wrote {args.out / 'results.json'} in {summary['seconds']:.0f} s")

"""simreal's system identification side by side with ``mujoco.sysid``, on models nobody here wrote.

For every case of ``benchmarks/sysid_cases.py`` (the pendulum asset, dm_control's
cart-pole, Gymnasium's reacher and half-cheetah, Gymnasium-Robotics' Franka Panda), every
noise level and seed, one log is recorded (a multisine with a command latency, the
logged joints only, white noise of that fraction of each signal's range) and fitted in
this one process by:

* simreal (``fit`` with its defaults; the latency is a parameter);
* ``mujoco.sysid`` with its defaults (the model parameters only: it has no latency);
* ``mujoco.sysid`` with a sensor delay (its ``SignalTransform.delay`` on every sensor,
  bounded as simreal's latency), which an open-loop log cannot tell from a command latency.

Same data, same bounds, same initial guesses (the model's values, moved 5% inside a bound
they sit on). Printed per case and noise: each tool's worst relative error over the model
parameters (mean over seeds), how many true values its 95% intervals hold (simreal's own;
``mujoco.sysid``'s from its ``calculate_intervals`` at the solution), its wall time, and
simreal's time over each ``mujoco.sysid`` variant's. Results go to
``benchmarks/results/sysid_vs_mujoco_sysid.json`` as each fit lands (a rerun resumes).

    python benchmarks/sysid_vs_mujoco_sysid.py [--cases pendulum,reacher] [--seeds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import time
from pathlib import Path

import mujoco
import numpy as np
from mujoco import sysid
from sysid_cases import CASES, Case, spec_modifier, with_sensors  # beside this script

from simreal.atomic_io import write_json_atomic
from simreal.sysid.excitation import excitation, record
from simreal.sysid.fit import fit
from simreal.sysid.problem import FitParam, bind_problem
from simreal.sysid.recording import Recording

RESULTS = Path("benchmarks/results/sysid_vs_mujoco_sysid.json")
TOOLS = ("simreal", "mujoco.sysid", "mujoco.sysid + delay")


def make_log(case: Case, noise: float, seed: int) -> Recording:
    """The case's log: its hidden plant driven by a multisine, its joints logged."""
    model = case.compiled()
    rng = np.random.default_rng(seed)
    commands = excitation("multisine", case.seconds, case.dt, model.actuator_ctrlrange, rng,
                          case.amplitude)  # fmt: skip
    pose = case.initial_qpos(model)
    for a in range(model.nu):  # position servos: command about the initial pose
        if model.actuator_biastype[a] == mujoco.mjtBias.mjBIAS_AFFINE:
            joint = model.joint(model.actuator_trnid[a, 0])
            commands[:, a] += pose[joint.qposadr[0]] - commands[:, a].mean()
    full = record(model, commands, case.dt, case.hidden, case.latency, noise, rng,
                  qpos0=case.initial_qpos(model))  # fmt: skip
    return Recording(full.time, full.ctrl, {j: full.qpos[j] for j in case.measured},
                     {j: full.qvel[j] for j in case.measured}, source=case.name)  # fmt: skip


def run_simreal(case: Case, log: Recording) -> dict:
    """Fit with simreal's defaults, the latency fitted."""
    params = [FitParam(p, *b) for p, b in case.bounds.items()]
    params.append(FitParam("latency.action", 0.0, 0.1))
    start = time.perf_counter()
    result = fit(case.compiled(), params, [log], progress=None)
    seconds = time.perf_counter() - start
    low, high = result.ci95
    values = result.as_dict()
    inside = {p.id: bool(low[i] <= case.hidden[p.id] <= high[i])
              for i, p in enumerate(result.params) if p.id in case.hidden}  # fmt: skip
    return {"values": values, "inside": inside, "seconds": seconds}


def run_mujoco_sysid(case: Case, log: Recording, with_delay: bool) -> dict:
    """``mujoco.sysid``: its default optimizer, Parameter modifiers on the spec."""
    model = case.compiled()
    starts = bind_problem(model, [FitParam(p, *b) for p, b in case.bounds.items()], [log]).start
    params = sysid.ParameterDict()
    for (pid, (low, high)), start in zip(case.bounds.items(), starts, strict=True):
        params.add(sysid.Parameter(pid, nominal=float(start), min_value=low, max_value=high,
                                   modifier=spec_modifier(pid, model)))  # fmt: skip
    transform = None
    if with_delay:
        params.add(sysid.Parameter("delay", nominal=0.005, min_value=0.0, max_value=0.1))
        transform = sysid.SignalTransform()
        transform.delay("*", params["delay"])
    spec = with_sensors(case)
    compiled = spec.compile()
    qpos0, qvel0 = case.initial_qpos(compiled), np.zeros(compiled.nv)
    for name in case.measured:
        qpos0[compiled.joint(name).qposadr[0]] = log.qpos[name][0]
        qvel0[compiled.joint(name).dofadr[0]] = log.qvel[name][0]
    state = sysid.create_initial_state(compiled, qpos0, qvel0, np.zeros(compiled.na))
    actuators = [
        compiled.actuator(i).name or compiled.joint(compiled.actuator_trnid[i, 0]).name
        for i in range(compiled.nu)
    ]  # fmt: skip  (unnamed: by the joint they drive)
    # It resamples the controls linearly onto its physics steps; the robot held each command
    # for a log period, so the commands go in already held at every physics step.
    h = compiled.opt.timestep
    per = int(round(case.dt / h))
    held = np.repeat(np.column_stack([log.ctrl[a] for a in actuators]), per, axis=0)
    control = sysid.TimeSeries(np.arange(len(held)) * h, held)
    # Its convention (as its own tests make data): the sensor row stamped with the time after
    # a physics step holds the sensors computed during it, i.e. of the state before it; the
    # state logged at t is the state before the step that starts at t.
    columns = [log.qpos[n][:-1] for n in case.measured] + [log.qvel[n][:-1] for n in case.measured]
    sensors = sysid.TimeSeries.from_names(log.time[:-1] + h, np.column_stack(columns), compiled)
    sequences = sysid.ModelSequences("model", spec, "log", state, control, sensors)
    kwargs = {"modify_residual": transform.apply} if transform is not None else {}
    residual_fn = sysid.build_residual_fn(models_sequences=[sequences], **kwargs)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # its optimizer prints every iteration
        fitted, result = sysid.optimize(initial_params=params, residual_fn=residual_fn,
                                        verbose=False)  # fmt: skip
    seconds = time.perf_counter() - start
    values = {pid: float(fitted[pid].value[0]) for pid in case.bounds}
    inside = {}
    if getattr(result, "jac", None) is not None:
        residuals, _, _ = residual_fn(fitted.as_vector(), fitted)
        _, half = sysid.calculate_intervals(residuals, np.asarray(result.jac))
        for i, pid in enumerate(case.bounds):
            inside[pid] = bool(abs(values[pid] - case.hidden[pid]) <= half[i])
    return {"values": values, "inside": inside, "seconds": seconds}


def worst_error(case: Case, values: dict) -> float:
    """Largest relative error over the model parameters."""
    return max(abs(values[p] / truth - 1) for p, truth in case.hidden.items())


def summary(case: Case, noise: float, runs: dict) -> list[str]:
    """Table rows of one case and noise level."""
    rows, times = [], {}
    for tool in TOOLS:
        mine = [r for key, r in runs.items() if key.startswith(f"{case.name}|{noise}|{tool}|")]
        if not mine:
            continue
        errors = [worst_error(case, r["values"]) for r in mine]
        inside = [v for r in mine for v in r["inside"].values()]
        times[tool] = float(np.mean([r["seconds"] for r in mine]))
        cover = f"{sum(inside)}/{len(inside)}" if inside else "-"
        rows.append(f"{case.name:34} {noise:6.3f} {tool:22} {np.mean(errors):9.2%} "
                    f"{max(errors):9.2%} {cover:>8} {times[tool]:8.1f}")  # fmt: skip
    for tool in TOOLS[1:]:
        if "simreal" in times and tool in times:
            rows.append(f"{'':34} {'':6} {'simreal / ' + tool:32} time ratio "
                        f"{times['simreal'] / times[tool]:6.2f}")  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=None, help="comma-separated case name prefixes")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--noises", default="0,0.005")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    wanted = args.cases.split(",") if args.cases else None
    cases = [c for c in CASES if wanted is None or any(c.name.startswith(w) for w in wanted)]
    runs = json.loads(args.results.read_text()) if args.results.is_file() else {}
    noises = [float(n) for n in args.noises.split(",")]
    for case in cases:
        for noise in noises:
            for seed in range(args.seeds):
                log = None
                for tool in TOOLS:
                    key = f"{case.name}|{noise}|{tool}|{seed}"
                    if key in runs:
                        continue
                    log = log or make_log(case, noise, seed)
                    run = (run_simreal(case, log) if tool == "simreal"
                           else run_mujoco_sysid(case, log, tool.endswith("delay")))  # fmt: skip
                    runs[key] = run
                    write_json_atomic(args.results, runs)
                    print(f"{key}: worst error {worst_error(case, run['values']):.2%}, "
                          f"{run['seconds']:.1f} s", flush=True)  # fmt: skip
    print(f"\n{'case':34} {'noise':>6} {'tool':22} {'mean worst':>9} {'max worst':>9} "
          f"{'inside':>8} {'seconds':>8}")  # fmt: skip
    for case in cases:
        for noise in noises:
            print("\n".join(summary(case, noise, runs)))


if __name__ == "__main__":
    main()

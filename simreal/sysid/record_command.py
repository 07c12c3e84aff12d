"""The ``simreal record`` command: excite a model or a real proxy and write the log.

MuJoCo is imported only when it runs. Bad input ends with ``parser.error`` (exit code
2, one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
from pathlib import Path

from simreal.cli_checks import int_at_least
from simreal.sysid.model_source import add_model_source, load_model, require_actuators
from simreal.sysid.recording import HOLDS  # numpy only: the CLI starts light


def add_record_parser(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``record``."""
    record = commands.add_parser(
        "record",
        help="record an excitation log from a model with hidden parameters or a real proxy",
        description="Drive a model (an MJCF file with chosen hidden parameter values, or a "
        "simreal task / real proxy) with a chirp, multisine or PRBS command within the actuator "
        "limits, and write the log (CSV, Parquet, HDF5 or NPZ, by the --out suffix).",
    )
    add_model_source(
        record, "simreal task or real-proxy id to drive, e.g. simreal/PendulumSwingupReal-v0"
    )
    record.add_argument(
        "--excitation",
        choices=("chirp", "multisine", "prbs", "optimal"),
        default="multisine",
        help="command signal within the actuator limits; optimal: a multisine whose weights "
        "per frequency maximise the information about --params (D-optimal, at their initial "
        "guesses on the model to fit) (default: %(default)s)",
    )
    record.add_argument(
        "--amplitude", type=float, default=0.8,
        help="peak of the command as a fraction of each actuator's half-range, in (0, 1] "
        "(default: %(default)s)",
    )  # fmt: skip
    record.add_argument(
        "--params", type=Path, default=None,
        help="params.yaml of the fit to design --excitation optimal for (default: none; "
        "required with --excitation optimal)",
    )  # fmt: skip
    record.add_argument(
        "--design-evaluations", type=int_at_least(8), default=48,
        help="candidate signals --excitation optimal simulates (default: %(default)s)",
    )  # fmt: skip
    record.add_argument("--duration", type=float, default=20.0, help="seconds (default: 20)")
    record.add_argument(
        "--dt",
        type=float,
        default=None,
        help="command/log period in seconds (default: the task's control period, or 0.02 s)",
    )
    record.add_argument(
        "--hidden",
        action="append",
        default=[],
        metavar="ID=VALUE",
        help="hidden parameter value, e.g. 'body[pole].mass=1.3' (repeatable; default: none, "
        "the model's own values)",
    )
    record.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="command latency in seconds, --model only (default: 0)",
    )
    record.add_argument(
        "--hold", choices=HOLDS, default="zoh",
        help="--model only: the simulated robot holds each command until the next (zoh) or "
        "ramps from one to the next (linear) (default: %(default)s)",
    )  # fmt: skip
    record.add_argument(
        "--noise",
        type=float,
        default=0.0,
        help="synthetic sensor noise, a fraction of each signal's range, for models without a "
        "sensor model (an MJCF, a Gymnasium env); a simreal task is logged through its own "
        "sensors, and this adds on top (default: 0)",
    )
    record.add_argument(
        "--seed",
        type=int_at_least(0),
        default=0,
        help="seed of the excitation and noise (default: 0)",
    )
    record.add_argument(
        "--joints", default=None,
        help="comma-separated joints to log, e.g. the arm's and not its scene's (default: "
        "every 1-DoF joint)",
    )  # fmt: skip
    record.add_argument("--out", type=Path, required=True, help="log file to write")


def designed_excitation(parser: argparse.ArgumentParser, args: argparse.Namespace, model: object,
            dt: float, rng: object) -> object:  # fmt: skip
    """The D-optimal multisine for --params, designed on the model a fit would start from."""
    from simreal.sysid.design import d_optimal_multisine
    from simreal.sysid.problem import ParamsError, load_params
    from simreal.sysid.recording import LogError

    if args.task is not None:  # a real proxy's hidden physics is not the fit's starting point
        import gymnasium as gym

        from simreal.envs.registry import task_for

        with contextlib.suppress(KeyError):  # a Gymnasium env: its own values
            model = gym.make(task_for(args.task).env_id).unwrapped.model
    try:
        return d_optimal_multisine(model, load_params(args.params), args.duration, dt, rng,
                                   args.amplitude, evaluations=args.design_evaluations,
                                   progress=print)  # fmt: skip
    except (ParamsError, LogError) as error:
        parser.error(str(error))


def run_record(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Record a log; see :func:`add_record_parser`."""
    import numpy as np

    from simreal.datasets.tables import SUFFIXES
    from simreal.sysid.excitation import excitation, record, record_env
    from simreal.sysid.readers import write_log

    if args.out.suffix.lower() not in SUFFIXES:
        parser.error(
            f"--out: {args.out.suffix!r} is not a log format; use one of {', '.join(SUFFIXES)}."
        )
    from simreal.cli_checks import check_output_file

    check_output_file(parser, "--out", args.out)
    if not 0 < args.duration < math.inf or (args.dt is not None and not 0 < args.dt < math.inf):
        parser.error("--duration and --dt must be finite numbers > 0.")
    if not 0 <= args.noise < math.inf or not 0 <= args.latency < math.inf:
        parser.error("--noise and --latency must be finite numbers >= 0.")
    hidden = {}
    for item in args.hidden:
        key, sep, value = item.partition("=")
        try:
            hidden[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            parser.error(f"--hidden: write ID=VALUE, e.g. 'body[pole].mass=1.3', got {item!r}.")
    if not 0 < args.amplitude <= 1:
        parser.error(f"--amplitude: {args.amplitude} of the half-range exceeds the actuators' "
                     "ctrlrange or is not positive; give a fraction in (0, 1].")  # fmt: skip
    if (args.excitation == "optimal") != (args.params is not None):
        parser.error("--excitation optimal designs for the parameters to fit: give both it "
                     "and --params params.yaml, or neither.")  # fmt: skip
    model, env = load_model(parser, args.model, args.task)
    require_actuators(parser, model, args, "excite")
    rng = np.random.default_rng(args.seed)
    dt = args.dt or (float(env.unwrapped.dt) if env is not None else 0.02)
    if args.excitation == "optimal":
        commands = designed_excitation(parser, args, model, dt, rng)
    else:
        commands = excitation(args.excitation, args.duration, dt, model.actuator_ctrlrange, rng,
                              args.amplitude)  # fmt: skip
    try:
        if env is not None:
            if hidden or args.latency or args.hold != "zoh":
                parser.error(
                    "--hidden, --latency and --hold apply to --model; a --task plays its own plant."
                )
            recording = record_env(env, commands, seed=args.seed, noise=args.noise, rng=rng)
        else:
            recording = record(model, commands, dt, hidden, args.latency, args.noise, rng,
                               hold=args.hold)  # fmt: skip
    except ValueError as error:
        parser.error(str(error))
    if args.joints is not None:
        recording = only_joints(parser, recording, args.joints)
    write_log(recording, args.out)
    print(
        f"recorded {recording.duration:.1f} s ({recording.time.size} samples, "
        f"{len(recording.ctrl)} controls, {len(recording.qpos)} joints) to {args.out}"
    )
    return 0


def only_joints(parser: argparse.ArgumentParser, recording: object, joints: str) -> object:
    """The recording with only the named joints' columns (``--joints``)."""
    import difflib

    names = [name.strip() for name in joints.split(",") if name.strip()]
    if not names:
        parser.error("--joints: name at least one joint, e.g. --joints shoulder,elbow.")
    for name in names:
        if name not in recording.qpos:
            close = difflib.get_close_matches(name, list(recording.qpos), n=3, cutoff=0.4)
            listed = ", ".join(close or list(recording.qpos)[:5])
            parser.error(f"--joints: {name!r} is not a 1-DoF joint of the model (close: {listed}).")
    return dataclasses.replace(
        recording, qpos={n: recording.qpos[n] for n in names},
        qvel={n: recording.qvel[n] for n in names if n in recording.qvel},
    )  # fmt: skip

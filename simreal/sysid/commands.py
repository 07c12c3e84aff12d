"""The ``simreal record`` and ``simreal sysid`` commands (parsers and runners).

Both import MuJoCo only when run. Bad input ends with ``parser.error`` (exit
code 2, one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
from pathlib import Path

from simreal.cli_checks import int_at_least


def add_parsers(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``record`` and ``sysid``."""
    record = commands.add_parser(
        "record",
        help="record an excitation log from a model with hidden parameters or a real proxy",
        description="Drive a model (an MJCF file with chosen hidden parameter values, or a "
        "simreal task / real proxy) with a chirp, multisine or PRBS command within the actuator "
        "limits, and write the log (CSV, Parquet, HDF5 or NPZ, by the --out suffix).",
    )
    source = record.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model", type=Path,
        help="MJCF file to simulate, or a model an installed package ships, e.g. "
        "robosuite-models:z1, gymnasium-robotics:franka_kitchen, dm_control:cartpole",
    )  # fmt: skip
    source.add_argument(
        "--task", help="simreal task or real-proxy id, e.g. simreal/PendulumSwingupReal-v0"
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
        "--hold", choices=("zoh", "linear"), default="zoh",
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

    sysid = commands.add_parser(
        "sysid",
        help="fit model parameters and latency to logs; write a DR spec centred on the fit",
        description="Fit the parameters listed in params.yaml (DR vocabulary, with bounds) to one "
        "or more logs by segmented least squares (each segment of a log restarts from a fitted "
        "state; sensor offsets, gains and delay are fitted with the physics); print the table, "
        "say what each log holds, write fit.yaml (a "
        "domain-randomization spec centred on the fit) and a plot of measured vs simulated.",
    )
    model = sysid.add_mutually_exclusive_group(required=True)
    model.add_argument(
        "--model", type=Path,
        help="the robot's MJCF file, or a model an installed package ships "
        "(<package>:<model>, e.g. robosuite-models:z1)",
    )  # fmt: skip
    model.add_argument("--task", help="use a simreal task's nominal model")
    sysid.add_argument(
        "--log",
        type=Path,
        action="append",
        required=True,
        help="a log file (repeatable): .csv, .parquet, .h5/.hdf5 or .npz, a LeRobot v3 "
        "dataset folder (each episode one log; entries matched to the model by name), or a "
        "ROS 2 bag folder, .db3 or .mcap file (--joint-topic, --command-topic)",
    )
    sysid.add_argument(
        "--dr-form", choices=("independent", "correlated"), default="independent",
        help="fit.yaml's DR terms: independent uniforms over value +-2 SE, or normals of the "
        "fit's standard errors drawn jointly with its correlations (default: %(default)s)",
    )  # fmt: skip
    sysid.add_argument(
        "--hold", choices=("zoh", "linear"), default=None,
        help="how the robot applies the logged commands between samples: zoh holds each "
        "until the next, linear ramps from one to the next (a driver that interpolates "
        "setpoints); the fit compares both and warns when the other fits better "
        "(default: zoh, with a warning when the logs cannot tell and the delay depends on it)",
    )  # fmt: skip
    sysid.add_argument(
        "--joint-topic", default="/joint_states",
        help="ROS 2 logs: the sensor_msgs/JointState topic of the measured joints "
        "(default: %(default)s)",
    )  # fmt: skip
    sysid.add_argument(
        "--command-topic", default="/joint_commands",
        help="ROS 2 logs: the command topic, a JointState with names or a Float64MultiArray "
        "in the model's actuator order (default: %(default)s)",
    )  # fmt: skip
    sysid.add_argument(
        "--command-field", choices=("position", "velocity", "effort"), default=None,
        help="ROS 2 logs: the field of a JointState command that holds the commands "
        "(default: the first non-empty one)",
    )  # fmt: skip
    sysid.add_argument(
        "--params", type=Path, required=True, help="params.yaml: what to fit, with bounds"
    )
    sysid.add_argument("--out", type=Path, required=True, help="fit.yaml to write")
    sysid.add_argument(
        "--plot",
        type=Path,
        default=None,
        help="PNG of measured vs simulated (default: next to --out, .png)",
    )
    sysid.add_argument(
        "--segments",
        default="1,4",
        help="segment lengths in seconds of the continuation stages (default: 1,4)",
    )
    sysid.add_argument(
        "--loss",
        choices=("linear", "soft_l1", "huber", "cauchy"),
        default="linear",
        help="least-squares loss; robust losses resist outliers (default: linear)",
    )
    sysid.add_argument(
        "--method",
        choices=("least_squares", "cmaes"),
        default="least_squares",
        help="least_squares from the initial guess (default), or a CMA-ES global search over "
        "the bounds first, for multi-modal problems",
    )
    sysid.add_argument(
        "--threads", type=int, default=None, help="rollout threads (default: all cores)"
    )
    sysid.add_argument(
        "--check", action="store_true",
        help="only report, from the Jacobian at the initial guess, which parameters the logs "
        "can determine and what excitation would inform the weak ones; fit nothing, write "
        "nothing (the report is printed before every fit too)",
    )  # fmt: skip
    sysid.add_argument(
        "--noise", type=float, default=0.005,
        help="residual level the identifiability report assumes, as a fraction of each "
        "signal's range: the sensor noise, more if velocities are differentiated from "
        "positions (default: %(default)s)",
    )  # fmt: skip


def _load_model(parser: argparse.ArgumentParser, path: Path | None, task: str | None):  # noqa: ANN202
    import gymnasium as gym
    import mujoco

    if path is not None:
        from simreal.model_catalog import ModelNameError, is_model_name, resolve_model

        if not path.is_file() and is_model_name(str(path)):
            try:
                path = resolve_model(str(path))
            except ModelNameError as error:
                parser.error(f"--model: {error}")
        if not path.is_file():
            parser.error(f"--model: {path} does not exist.")
        try:
            return mujoco.MjModel.from_xml_path(str(path)), None
        except ValueError as error:
            detail = " ".join(str(error).split()).rstrip(".")
            parser.error(f"--model: {path} does not compile: {detail}.")
    from simreal.cli_checks import check_env_id

    check_env_id(parser, "--task", task)
    try:
        env = gym.make(task)
    except gym.error.Error as error:
        parser.error(f"--task: {error}")
    if not isinstance(getattr(env.unwrapped, "model", None), mujoco.MjModel):
        parser.error(f"--task: {task} holds no MuJoCo model; give a MuJoCo env or --model.")
    return env.unwrapped.model, env


def _require_actuators(
    parser: argparse.ArgumentParser, model: object, args: argparse.Namespace, job: str
) -> None:
    """Stop with one sentence if the model has no actuator (nothing to excite or fit)."""
    if model.nu == 0:
        flag, what = ("--model", args.model) if args.model is not None else ("--task", args.task)
        parser.error(
            f"{flag}: {what} has no actuators to {job}; give a model whose MJCF declares the "
            "robot's motors (<motor>, <position>, ... under <actuator>)."
        )


def _design(parser: argparse.ArgumentParser, args: argparse.Namespace, model: object,
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
    """Record a log; see :func:`add_parsers`."""
    import numpy as np

    from simreal.sysid.excitation import excitation, record, record_env
    from simreal.sysid.readers import SUFFIXES, write_log

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
    model, env = _load_model(parser, args.model, args.task)
    _require_actuators(parser, model, args, "excite")
    rng = np.random.default_rng(args.seed)
    dt = args.dt or (float(env.unwrapped.dt) if env is not None else 0.02)
    if args.excitation == "optimal":
        commands = _design(parser, args, model, dt, rng)
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
        recording = _only_joints(parser, recording, args.joints)
    write_log(recording, args.out)
    print(
        f"recorded {recording.duration:.1f} s ({recording.time.size} samples, "
        f"{len(recording.ctrl)} controls, {len(recording.qpos)} joints) to {args.out}"
    )
    return 0


def _only_joints(parser: argparse.ArgumentParser, recording: object, joints: str) -> object:
    """The recording with only the named joints' columns (``--joints``)."""
    import difflib

    names = [name.strip() for name in joints.split(",") if name.strip()]
    for name in names:
        if name not in recording.qpos:
            close = difflib.get_close_matches(name, list(recording.qpos), n=3, cutoff=0.4)
            listed = ", ".join(close or list(recording.qpos)[:5])
            parser.error(f"--joints: {name!r} is not a 1-DoF joint of the model (close: {listed}).")
    return dataclasses.replace(
        recording, qpos={n: recording.qpos[n] for n in names},
        qvel={n: recording.qvel[n] for n in names if n in recording.qvel},
    )  # fmt: skip


def _read_logs(path: Path, model: object, args: argparse.Namespace) -> list:
    """A log file's one recording, a LeRobot dataset's episodes, or a ROS 2 bag's run."""
    from simreal.datasets.lerobot import is_lerobot_dataset
    from simreal.sysid.lerobot_logs import read_lerobot_logs
    from simreal.sysid.readers import read_log
    from simreal.sysid.ros_logs import is_ros_log, read_ros_log

    if is_lerobot_dataset(path):
        return read_lerobot_logs(path, model)
    if is_ros_log(path):
        return read_ros_log(path, model, args.joint_topic, args.command_topic, args.command_field)
    return [read_log(path)]


def run_sysid(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Fit; see :func:`add_parsers`."""
    from simreal.sysid.fit import fit
    from simreal.sysid.identifiability import identifiability
    from simreal.sysid.problem import ParamsError, load_params
    from simreal.sysid.recording import LogError
    from simreal.sysid.report import format_table, plot_fit, write_fit

    try:
        segments = [float(s) for s in args.segments.split(",")]
    except ValueError:
        parser.error(
            f"--segments: give seconds separated by commas, e.g. 1,4; got {args.segments!r}."
        )
    if not segments or any(s <= 0 for s in segments):
        parser.error("--segments: every segment length must be > 0 seconds.")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1.")
    if not 0 < args.noise < 1:
        parser.error(f"--noise: give a fraction of each signal's range in (0, 1), got "
                     f"{args.noise}.")  # fmt: skip
    model, _ = _load_model(parser, args.model, args.task)
    _require_actuators(parser, model, args, "replay the logged controls on")
    try:
        params = load_params(args.params)
        recordings = [r for path in args.log for r in _read_logs(path, model, args)]
        recordings = [dataclasses.replace(r, hold=args.hold or "zoh") for r in recordings]
        report = identifiability(model, params, recordings, args.noise, segments[-1],
                                 args.threads or os.cpu_count() or 1)  # fmt: skip
        print("\n".join(report.lines()))
        if args.check:
            return 0
        result = fit(model, params, recordings, segments, loss=args.loss, method=args.method,
                     n_threads=args.threads)  # fmt: skip
    except (ParamsError, LogError) as error:
        parser.error(str(error))
    if args.hold is None and result.holds is not None and result.holds.ambiguity():
        result.warnings.append(result.holds.ambiguity())
    print(format_table(result))
    write_fit(result, args.out, [str(p) for p in args.log], args.dr_form)
    plot = args.plot or args.out.with_suffix(".png")
    plot_fit(result, plot)
    print(f"wrote {args.out} (a DR spec centred on the fit) and {plot}")
    return 0

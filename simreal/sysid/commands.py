"""The ``simreal sysid`` command (and the registration of ``simreal record`` beside it).

MuJoCo is imported only when it runs. Bad input ends with ``parser.error`` (exit code
2, one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from simreal.sysid.model_source import add_model_source, load_model, require_actuators
from simreal.sysid.record_command import add_record_parser, run_record
from simreal.sysid.recording import HOLDS  # numpy only: the CLI starts light

__all__ = ["add_parsers", "run_record", "run_sysid"]


def add_parsers(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``record`` and ``sysid``."""
    add_record_parser(commands)
    sysid = commands.add_parser(
        "sysid",
        help="fit model parameters and latency to logs; write a DR spec centred on the fit",
        description="Fit the parameters listed in params.yaml (DR vocabulary, with bounds) to one "
        "or more logs by segmented least squares (each segment of a log restarts from a fitted "
        "state; sensor offsets, gains and delay are fitted with the physics); print the table, "
        "say what each log holds, write fit.yaml (a "
        "domain-randomization spec centred on the fit) and a plot of measured vs simulated.",
    )
    add_model_source(sysid, "use a simreal task's nominal model (or a Gymnasium MuJoCo env's)")
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
        "--hold", choices=HOLDS, default=None,
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
    model, _ = load_model(parser, args.model, args.task)
    require_actuators(parser, model, args, "replay the logged controls on")
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

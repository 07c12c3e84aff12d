"""The ``simreal`` command line: ``simreal <command> [flags]``.

Heavy libraries (MuJoCo, torch, Stable-Baselines3) are imported inside the
commands that need them, so ``simreal --help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from simreal.cli_checks import check_ids, check_output_dir, int_at_least


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``simreal`` command."""
    parser = argparse.ArgumentParser(
        prog="simreal",
        description="Sim-to-real robot learning on MuJoCo: domain randomization, "
        "system identification and learning.",
    )
    parser.add_argument("--version", action="version", version=f"simreal {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="<command>")

    demo = commands.add_parser(
        "demo",
        help="end to end: log the real proxy, fit it, train (BC, then RL) on nominal / wide DR / "
        "sysid-centred DR, fine-tune on the proxy, compare on it",
        description="The main job on built-in defaults: record an "
        "excitation log on the task's real proxy, fit the model's parameters, latency and "
        "encoder offset to it, train policies on the nominal model, under wide DR and under DR "
        "centred on the fit (behaviour cloning of the task's expert, then that clone fine-tuned "
        "by SAC with the demonstrations in every batch), fine-tune the sysid-centred ones on the "
        "real proxy within an episode budget, and evaluate each on the real proxy. Prints the "
        "table; writes results.json, demo.png, fit.yaml and fit.png. Rerunning resumes.",
    )
    demo.add_argument(
        "--task",
        default="simreal/PendulumSwingup-v0",
        help="task whose real proxy plays the robot (default: simreal/PendulumSwingup-v0)",
    )
    demo.add_argument(
        "--seeds", type=int_at_least(1), default=2, help="seeds per condition (default: 2)"
    )
    demo.add_argument(
        "--steps",
        type=int_at_least(1),
        default=None,
        help="SAC fine-tuning steps per BC -> RL policy (default: 5000)",
    )
    demo.add_argument(
        "--demo-steps",
        type=int_at_least(1),
        default=20_000,
        help="expert demonstration budget per cloned policy, in env steps (default: 20000)",
    )
    demo.add_argument(
        "--episodes",
        type=int_at_least(1),
        default=20,
        help="evaluation episodes per policy and plant (default: 20)",
    )
    demo.add_argument(
        "--target-episodes",
        type=int_at_least(1),
        default=10,
        help="training episodes of the fine-tuning on the real proxy (default: 10)",
    )
    demo.add_argument(
        "--wide-width",
        type=float,
        default=2.0,
        help="width of the wide, uncentred DR condition (default: 2)",
    )
    demo.add_argument(
        "--jobs",
        type=int_at_least(1),
        default=None,
        help="policies trained at once (default: the number of cores)",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo_output"), help="output folder (default: demo_output)"
    )

    gap = commands.add_parser(
        "gap",
        help="the reality gap: every task's expert on its nominal model and its real proxy",
        description="Run each task's expert on the nominal model and on the task's real "
        "proxy, print the reality-gap table (return, success) and save a bar chart, "
        "results.json and one rendered frame per task.",
    )
    gap.add_argument(
        "--episodes",
        type=int_at_least(1),
        default=10,
        help="seeded episodes per plant (default: 10)",
    )
    gap.add_argument(
        "--seed", type=int_at_least(0), default=0, help="seed of the first episode (default: 0)"
    )
    gap.add_argument(
        "--tasks",
        nargs="+",
        metavar="ID",
        help="nominal task ids to run (default: every task; see `simreal tasks`)",
    )
    gap.add_argument(
        "--out", type=Path, default=Path("gap_output"), help="output folder (default: gap_output)"
    )

    from simreal.learning.commands import add_parsers as add_learning_parsers
    from simreal.sweeps.commands import add_parser as add_sweep_parser
    from simreal.sysid.commands import add_parsers as add_sysid_parsers

    add_learning_parsers(commands)
    add_sysid_parsers(commands)
    add_sweep_parser(commands)

    commands.add_parser(
        "tasks",
        help="list the registered tasks and their real proxies",
        description="List every registered task id, its observation and action shapes and the "
        "id of its real proxy.",
    )
    return parser


def commands_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The sub-parser of one command (so that its errors print its usage)."""
    for action in parser._actions:  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return action.choices[name]
    return parser  # pragma: no cover


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("simreal")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _run_tasks() -> int:
    import gymnasium as gym

    from simreal.envs.registry import TASKS

    print(f"{'id':32} {'observation':16} {'action':8} real proxy")
    for task in TASKS:
        env = gym.make(task.env_id)
        print(
            f"{task.env_id:32} {str(env.observation_space.shape):16} "
            f"{str(env.action_space.shape):8} {task.real_id}"
        )
        env.close()
    return 0


def _run_demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from simreal.envs.registry import task_for, task_ids

    check_ids(parser, "--task", [args.task], task_ids(include_real=False))
    if not task_for(args.task).default_spec_path.with_name("sysid.yaml").is_file():
        parser.error(f"--task: {args.task} ships no sysid.yaml, so the demo cannot fit it.")
    check_output_dir(parser, "--out", args.out)
    from simreal.demo import DemoConfig, run_demo

    try:
        config = DemoConfig(
            args.task,
            args.seeds,
            args.steps,
            args.demo_steps,
            args.episodes,
            args.wide_width,
            target_episodes=args.target_episodes,
        )
    except ValueError as error:
        parser.error(f"--{str(error).replace('_', '-')}")
    from simreal.sweeps import SweepError

    try:
        run_demo(config, args.out, jobs=args.jobs or os.cpu_count() or 1)
    except SweepError as error:
        parser.error(f"{error} (the demo's settings changed: use another --out)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``simreal`` command.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The process exit status: 0 on success, 2 on bad input.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "tasks":
        return _run_tasks()
    if args.command in ("train", "eval", "collect", "bc", "finetune", "dagger"):
        import torch

        # simreal's policies are small MLPs: one torch thread trains them as fast as more,
        # and more threads slow training many-fold when another process shares the cores.
        torch.set_num_threads(1)
        from simreal.learning.commands import run_eval, run_train
        from simreal.learning.dataset_commands import run_bc, run_collect
        from simreal.learning.finetune_commands import run_finetune
        from simreal.learning.student_commands import run_dagger

        runner = {
            "train": run_train,
            "eval": run_eval,
            "collect": run_collect,
            "bc": run_bc,
            "finetune": run_finetune,
            "dagger": run_dagger,
        }[args.command]
        return runner(args, commands_parser(parser, args.command))
    if args.command in ("record", "sysid"):
        from simreal.sysid.commands import run_record, run_sysid

        runner = run_record if args.command == "record" else run_sysid
        return runner(args, commands_parser(parser, args.command))
    if args.command == "sweep":
        from simreal.sweeps.commands import run_sweep

        return run_sweep(args, commands_parser(parser, "sweep"))
    if args.command == "demo":
        return _run_demo(args, commands_parser(parser, "demo"))
    if args.command == "gap":
        from simreal.envs.registry import task_ids

        gap = commands_parser(parser, "gap")
        ids = args.tasks or task_ids(include_real=False)
        check_ids(gap, "--tasks", ids, task_ids(include_real=False))
        check_output_dir(gap, "--out", args.out)
        from simreal.gap_report import run_gap_report

        run_gap_report(ids, args.episodes, args.seed, args.out)
        return 0
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects it
    return 2


def entry_point() -> int:
    """The installed ``simreal`` script: :func:`main`, quiet when its output pipe closes early."""
    try:
        return main()
    except BrokenPipeError:  # e.g. `simreal tasks | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep the interpreter from failing at exit
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(entry_point())

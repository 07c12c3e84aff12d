"""``simreal sweep``: train per (setting, width, seed), evaluate on the targets, tabulate, plot."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from simreal.cli_checks import check_env_id, check_output_dir, int_at_least

DEFAULT_WIDTHS = "0,0.25,0.5,1,1.5,2"


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` command."""
    sweep = commands.add_parser(
        "sweep",
        help="train one policy per (width, seed), evaluate each on the real proxies, plot",
        description="Train one policy per point of a grid (algorithm x DR spec x randomized "
        "terms x width x seed), evaluate every policy on the nominal task and on each "
        "target with the same evaluation seeds, and write results.csv (one row per run), "
        "transfer.png (return vs width, 95% intervals over seeds) and a terminal table. "
        "Rerunning the same command resumes: finished runs are kept, cut-off runs resume "
        "from their last checkpoint.",
    )
    sweep.add_argument(
        "--task", required=True, help="task to train on, e.g. simreal/PendulumSwingup-v0"
    )
    sweep.add_argument(
        "--widths",
        default=DEFAULT_WIDTHS,
        help=f"comma-separated global widths >= 0 (default: {DEFAULT_WIDTHS})",
    )
    sweep.add_argument(
        "--seeds", type=int_at_least(1), default=3, help="seeds per setting (default: 3)"
    )
    sweep.add_argument(
        "--steps",
        type=int_at_least(1),
        default=None,
        help="env steps per run (default: the task's training defaults, else 50000)",
    )
    sweep.add_argument(
        "--eval-on",
        nargs="+",
        metavar="ID",
        default=None,
        help="target env ids evaluated besides the task (default: the task's real proxy)",
    )
    sweep.add_argument(
        "--algo",
        default=None,
        help="comma-separated learners: ppo, sac, bc (behaviour cloning of the task's expert "
        "demonstrating under the run's DR; --steps is then the demonstration budget), bcrl "
        "(that clone, from the task's train.yaml demo_steps or 20,000, fine-tuned by SAC with the "
        "demonstrations in every batch for --steps) or bcppo (the clone fine-tuned by PPO with "
        "simreal finetune's remedies for --steps) (default: the task's training defaults)",
    )
    sweep.add_argument(
        "--dr",
        default="default",
        help="comma-separated DR specs whose centres are compared: 'default' (the task's) "
        "and/or spec files such as a fit.yaml of `simreal sysid` (default: default)",
    )
    sweep.add_argument(
        "--terms",
        choices=("all", "each"),
        default="all",
        help="'all': the width scales every term; 'each': one group of runs per term with "
        "only that term randomized, to see which one matters (default: all)",
    )
    sweep.add_argument(
        "--episodes",
        type=int_at_least(1),
        default=20,
        help="evaluation episodes per env and run (default: 20)",
    )
    sweep.add_argument(
        "--eval-seed",
        type=int_at_least(0),
        default=10_000,
        help="seed of the first evaluation episode, the same for every run (default: 10000)",
    )
    sweep.add_argument(
        "--envs",
        type=int_at_least(1),
        default=None,
        help="parallel simulations per run (default: the task's training defaults, else 8)",
    )
    sweep.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="'local': a process pool on this machine (default); 'ray': Ray tasks",
    )
    sweep.add_argument(
        "--jobs",
        type=int_at_least(1),
        default=None,
        help="runs at once on the local pool (default: the number of cores)",
    )
    sweep.add_argument(
        "--ray-address",
        default=None,
        help="address of a running Ray cluster, e.g. ray://head:10001 or auto "
        "(default: start a local Ray runtime)",
    )
    sweep.add_argument("--out", type=Path, required=True, help="sweep folder")


def parse_widths(text: str) -> tuple[float, ...]:
    """Parse ``--widths``; raises ``ValueError`` naming the bad entry."""
    widths = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise ValueError(
                f"--widths: {part.strip()!r} is not a number; give comma-separated widths >= 0 "
                "such as 0,0.5,1."
            ) from None
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"--widths: {part.strip()} is not a finite number >= 0.")
        widths.append(value)
    if len(set(widths)) != len(widths):
        raise ValueError(f"--widths: {text} lists a width twice.")
    return tuple(widths)


def _check_ids(parser: argparse.ArgumentParser, flag: str, ids: list[str]) -> None:
    for env_id in ids:
        check_env_id(parser, flag, env_id)


def run_sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run (or resume) a sweep; 0 when every run finished, 1 when some failed."""
    from simreal.learning.defaults import learner_kwargs, training_defaults
    from simreal.sweeps.grid import SweepConfig, SweepError, resolve_dr

    try:
        widths = parse_widths(args.widths)
    except ValueError as error:
        parser.error(str(error))
    _check_ids(parser, "--task", [args.task])
    check_output_dir(parser, "--out", args.out)
    defaults = training_defaults(args.task)
    if args.eval_on is None:
        from simreal.envs.registry import task_for

        try:
            args.eval_on = [task_for(args.task).real_id]
        except KeyError:
            parser.error(f"--eval-on: {args.task} has no real proxy; name the targets.")
    _check_ids(parser, "--eval-on", args.eval_on)
    algos = tuple(a.strip() for a in (args.algo or defaults["algo"]).split(","))
    if {"bc", "bcrl", "bcppo"} & set(algos):
        from simreal.envs.registry import task_for

        try:
            task_for(args.task)
        except KeyError:
            parser.error(f"--algo bc, bcrl and bcppo clone a task's expert; {args.task} has none.")
    try:
        config = SweepConfig(
            task=args.task,
            widths=widths,
            seeds=args.seeds,
            steps=args.steps or defaults["steps"],
            eval_on=tuple(e for e in args.eval_on if e != args.task),
            algos=algos,
            dr=resolve_dr(args.task, [d.strip() for d in args.dr.split(",")]),
            terms=args.terms,
            episodes=args.episodes,
            eval_seed=args.eval_seed,
            n_envs=args.envs or defaults["n_envs"],
            algo_kwargs={a: learner_kwargs(args.task, a) for a in algos},
        )
    except SweepError as error:
        parser.error(str(error))
    from simreal.sweeps.sweep import run

    jobs = args.jobs or os.cpu_count() or 1
    try:
        summary = run(config, args.out, backend=args.backend, jobs=jobs, address=args.ray_address)
    except SweepError as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        print(f"\ninterrupted; rerun the same command to resume {args.out}.", file=sys.stderr)
        return 130
    return 0 if summary.failed == 0 else 1

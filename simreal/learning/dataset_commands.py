"""The ``simreal bc`` and ``simreal collect`` commands: demonstrations and cloning them.

Heavy imports happen in the runners. Bad input ends with ``parser.error``
(exit code 2, one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simreal.cli_checks import (
    check_dataset_task,
    check_env_id,
    check_output_dir,
    check_output_file,
    int_at_least,
    require_task,
)
from simreal.learning.command_flags import add_dr_arguments, check_dr


def add_bc_parser(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``bc``."""
    bc = commands.add_parser(
        "bc",
        help="behaviour-clone a demonstration dataset (gaussian, tokens or flow head)",
        description="Train a policy on a simreal collect dataset: a Gaussian MLP (SB3 PPO policy, "
        "for RL fine-tuning), RT-2-style action tokens, or pi0-style flow matching over action "
        "chunks. The run folder is evaluated with simreal eval.",
    )
    bc.add_argument("--task", required=True, help="the task the demonstrations come from")
    bc.add_argument(
        "--data", type=Path, required=True,
        help="dataset of simreal collect, or a LeRobot v3 dataset folder (observation.state, "
        "action)",
    )  # fmt: skip
    bc.add_argument(
        "--head",
        choices=("gaussian", "tokens", "flow"),
        default="gaussian",
        help="policy head: a Gaussian MLP, action tokens or flow matching (default: %(default)s)",
    )
    bc.add_argument(
        "--epochs",
        type=int_at_least(1),
        default=100,
        help="passes over the dataset (default: %(default)s)",
    )
    bc.add_argument(
        "--seed", type=int_at_least(0), default=0, help="training seed (default: %(default)s)"
    )
    bc.add_argument(
        "--bins",
        type=int_at_least(2),
        default=256,
        help="bins per action dimension, tokens head (default: %(default)s)",
    )
    bc.add_argument(
        "--horizon",
        type=int_at_least(1),
        default=8,
        help="action-chunk length H, flow head (default: 8)",
    )
    bc.add_argument(
        "--flow-steps",
        type=int_at_least(1),
        default=10,
        help="Euler steps K, flow head (default: 10)",
    )
    bc.add_argument("--out", type=Path, required=True, help="run folder")


def add_collect_parser(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``collect``."""
    collect = commands.add_parser(
        "collect",
        help="record demonstration episodes of the expert or a trained policy",
        description="Write one table (Parquet, HDF5, NPZ or CSV by the --out suffix) with one "
        "row per step: episode_index, step, time, obs:<i>, action:<j>, reward, terminated, "
        "truncated, is_success and dr:<param> columns; or, with --format lerobot, a LeRobot v3 "
        "dataset folder (observation.state, action, next.reward, next.done, next.success).",
    )
    collect.add_argument(
        "--task", required=True, help="env id to record on (any Gymnasium id, or module:EnvId)"
    )
    collect.add_argument(
        "--policy",
        default="expert",
        help="'expert' (a simreal task's controller) or a run folder (default: %(default)s)",
    )
    collect.add_argument(
        "--episodes",
        type=int_at_least(1),
        default=20,
        help="episodes to record (default: %(default)s)",
    )
    collect.add_argument(
        "--seed",
        type=int_at_least(0),
        default=0,
        help="episode i is reset with seed + i (default: 0)",
    )
    add_dr_arguments(collect)
    collect.add_argument(
        "--trust-pickle",
        action="store_true",
        help="also load a --policy run of an older simreal whose policy is a pickled SB3 "
        "policy.zip; loading it runs code stored in the file, so only for runs you trust "
        "(default: off)",
    )
    collect.add_argument(
        "--format", choices=("table", "lerobot"), default="table",
        help="a table file (its suffix says the format) or a LeRobot v3 dataset folder "
        "(default: %(default)s)",
    )  # fmt: skip
    collect.add_argument(
        "--out", type=Path, required=True,
        help="dataset file (--format table) or new folder (--format lerobot)",
    )  # fmt: skip


def run_bc(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``simreal bc``; see :func:`add_bc_parser`."""
    from simreal.learning.bc import BCConfig, DatasetError, train_bc

    check_env_id(parser, "--task", args.task)
    check_output_dir(parser, "--out", args.out)
    check_dataset_task(parser, "--data", args.data, args.task)
    try:
        config = BCConfig(
            args.task,
            args.head,
            args.epochs,
            seed=args.seed,
            bins=args.bins,
            horizon=args.horizon,
            flow_steps=args.flow_steps,
            execute=min(4, args.horizon),
        )
        out = train_bc(config, args.data, args.out)
    except (ValueError, DatasetError) as error:
        parser.error(str(error))
    print(f"cloned {args.data} with the {args.head} head into {out}")
    return 0


def run_collect(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``simreal collect``; see :func:`add_collect_parser`."""
    from simreal.datasets.tables import SUFFIXES
    from simreal.learning.collect import collect
    from simreal.learning.train import RunError

    check_env_id(parser, "--task", args.task)
    if args.format == "lerobot":
        if args.out.exists():
            parser.error(f"--out: {args.out} exists; a LeRobot dataset goes into a new folder.")
        check_output_dir(parser, "--out", args.out)
    else:
        if args.out.suffix.lower() not in SUFFIXES:
            parser.error(f"--out: use one of {', '.join(SUFFIXES)}, got {args.out.suffix!r}, "
                         "or give --format lerobot for a dataset folder.")  # fmt: skip
        check_output_file(parser, "--out", args.out)
    if str(args.policy) == "expert":
        fix = "record a run folder of simreal train or bc with --policy"
        require_task(parser, "--policy expert", args.task, "expert controller", fix)
    else:
        from simreal.learning.bc import read_run_kind

        if read_run_kind(args.policy) == "pixel_student":
            parser.error(
                f"--policy: {args.policy} is a pixel student, and simreal collect records "
                "state observations; record the task's expert or a state policy instead."
            )
    if args.episodes < 1:
        parser.error("--episodes must be >= 1.")
    dr = check_dr(parser, args.dr, args.task, args.width)
    try:
        path = collect(
            args.task,
            args.policy,
            args.episodes,
            args.out,
            dr,
            args.width,
            args.seed,
            args.trust_pickle,
            args.format,
        )
    except (ValueError, RunError) as error:
        parser.error(str(error))
    print(f"recorded {args.episodes} episodes of {args.policy} on {args.task} to {path}")
    return 0

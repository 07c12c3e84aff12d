"""The ``simreal train`` and ``simreal eval`` commands, and the registry of the learning commands.

Heavy imports happen in the runners. Bad input ends with ``parser.error``
(exit code 2, one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simreal.cli_checks import (
    check_env_id,
    check_output_dir,
    check_output_file,
    int_at_least,
    require_task,
)
from simreal.learning.command_flags import add_dr_arguments, check_dr
from simreal.learning.dataset_commands import add_bc_parser, add_collect_parser
from simreal.learning.finetune_commands import add_finetune_parser
from simreal.learning.step_budget import check_step_budget
from simreal.learning.student_commands import add_dagger_parser


def add_parsers(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``train``, ``eval``, ``bc``, ``finetune`` and ``collect``."""
    train = commands.add_parser(
        "train",
        help="train PPO or SAC under domain randomization (resumable)",
        description="Train an SB3 policy on the batched vector env with domain randomization. "
        "Settings not given (--algo, --steps, --envs and the algorithm's hyperparameters) come "
        "from the task's train.yaml (envs/<task>/train.yaml), the same that simreal sweep uses. "
        "Ctrl-C writes a checkpoint; rerunning the same command resumes an interrupted run (or "
        "extends it with more --steps).",
    )
    train.add_argument("--task", required=True, help="task id, e.g. simreal/Push-v0")
    train.add_argument(
        "--algo",
        choices=("ppo", "sac"),
        default=None,
        help="learner (default: the task's train.yaml, as simreal sweep uses it, else ppo)",
    )
    add_dr_arguments(train)
    train.add_argument(
        "--steps",
        type=int_at_least(1),
        default=None,
        help="env steps, trained exactly: a multiple of --envs (default: the task's "
        "train.yaml, else 50000)",
    )
    train.add_argument(
        "--seed", type=int_at_least(0), default=0, help="seed of the run (default: %(default)s)"
    )
    train.add_argument(
        "--envs",
        type=int_at_least(1),
        default=None,
        help="parallel simulations (default: the task's train.yaml, else 8)",
    )
    train.add_argument(
        "--checkpoint-every",
        type=int_at_least(1),
        default=10_000,
        help="env steps between checkpoints (default: %(default)s)",
    )
    train.add_argument("--out", type=Path, required=True, help="run folder")

    evaluate = commands.add_parser(
        "eval",
        help="evaluate a run (or the expert) on a task or real proxy",
        description="Mean return and success rate with 95% intervals over seeded episodes.",
    )
    evaluate.add_argument(
        "--policy",
        required=True,
        help="run folder of simreal train, bc, finetune or dagger, or 'expert'",
    )
    evaluate.add_argument("--on", required=True, action="append", help="env id (repeatable)")
    evaluate.add_argument(
        "--episodes",
        type=int_at_least(1),
        default=20,
        help="episodes per env (default: %(default)s)",
    )
    evaluate.add_argument(
        "--seed",
        type=int_at_least(0),
        default=10_000,
        help="seed of the first episode (default: %(default)s)",
    )
    evaluate.add_argument(
        "--json", type=Path, default=None, help="also write the results as JSON (default: no)"
    )
    evaluate.add_argument(
        "--trust-pickle",
        action="store_true",
        help="also load a run of an older simreal whose policy is a pickled SB3 policy.zip; "
        "loading it runs code stored in the file, so only for runs you trust (default: off)",
    )
    add_bc_parser(commands)
    add_finetune_parser(commands)
    add_collect_parser(commands)
    add_dagger_parser(commands)


def run_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``simreal train``; see :func:`add_parsers`."""
    from simreal.learning.train import RunError, TrainConfig, train

    check_env_id(parser, "--task", args.task)
    check_output_dir(parser, "--out", args.out)
    if args.width is not None and args.width < 0:
        parser.error("--width must be >= 0.")
    dr = check_dr(parser, args.dr, args.task, 1.0 if args.width is None else args.width)
    from simreal.learning.defaults import run_settings

    try:
        algo, steps, envs, algo_kwargs = run_settings(args.task, args.algo, args.steps, args.envs)
        config = TrainConfig(
            args.task,
            algo,
            steps,
            args.seed,
            envs,
            dr,
            1.0 if args.width is None else args.width,
            args.checkpoint_every,
            algo_kwargs,
        )
        check_step_budget(steps, envs)
    except ValueError as error:
        parser.error(f"--steps: {error}" if "parallel envs" in str(error) else str(error))
    starts = int(algo_kwargs.get("learning_starts", 100))  # SB3's default
    if algo == "sac" and steps <= starts:
        print(f"warning: SAC collects {starts} steps before its first update (learning_starts); "
              f"--steps {steps} trains none.", file=sys.stderr)  # fmt: skip
    from simreal.learning.train import TrainingInterrupted, trained_steps

    try:
        out = train(config, args.out)
    except RunError as error:
        parser.error(f"--out: {error}")
    except TrainingInterrupted as stop:
        done = f"checkpoint at {stop.steps} env steps in {stop.out}" if stop.steps else "no steps"
        print(f"interrupted ({done}); rerun the same command to resume.", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume.", file=sys.stderr)
        return 130
    print(f"trained {algo} on {args.task} for {trained_steps(out)} env steps: {out}")
    return 0


def run_eval(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``simreal eval``; see :func:`add_parsers`."""
    from simreal.atomic_io import write_json_atomic
    from simreal.learning.evaluate import evaluate
    from simreal.learning.train import RunError

    if args.episodes < 1:
        parser.error("--episodes must be >= 1.")
    for env_id in args.on:
        check_env_id(parser, "--on", env_id)
        if args.policy == "expert":
            fix = "evaluate a run folder of simreal train or bc instead"
            require_task(parser, "--policy expert", env_id, "expert controller", fix)
    if args.json is not None:
        check_output_file(parser, "--json", args.json)
    try:
        results = [
            evaluate(args.policy, env_id, args.episodes, args.seed, args.trust_pickle)
            for env_id in args.on
        ]
    except RunError as error:
        parser.error(f"--policy: {error}")
    print("| policy | env | episodes | return (95% CI) | success (95% CI) |")
    print("|---|---|---:|---:|---:|")
    for result in results:
        print(result.row())
    if args.json is not None:
        write_json_atomic(args.json, [r.to_dict() for r in results])
    return 0

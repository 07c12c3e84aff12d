"""The ``simreal finetune`` command: BC -> RL, in simulation or on the target.

Heavy imports happen in the runner. Bad input ends with ``parser.error``
(exit code 2, one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simreal.cli_checks import check_env_id, check_output_dir
from simreal.learning.command_flags import add_dr_arguments, check_dr


def add_finetune_parser(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``finetune``."""
    finetune = commands.add_parser(
        "finetune",
        help="fine-tune a Gaussian BC (or PPO) run with PPO, e.g. on a real proxy",
        description="Start PPO from a cloned Gaussian policy (or a PPO run) with critic warm-up, a "
        "log-std reset and floor, and decaying BC regularisation; writes a run and curve.csv.",
    )
    finetune.add_argument(
        "--policy", type=Path, required=True, help="simreal bc (gaussian) or train run"
    )
    finetune.add_argument("--task", required=True, help="env to fine-tune on (a real proxy too)")
    add_dr_arguments(finetune)
    budget = finetune.add_mutually_exclusive_group()
    budget.add_argument(
        "--steps",
        type=int,
        default=None,
        help="env steps, trained exactly: a multiple of --envs; PPO's last rollout is "
        "shortened to end at it (default: 50,000)",
    )
    budget.add_argument(
        "--episodes",
        type=int,
        default=None,
        help="training-episode budget instead of steps (fine-tuning on the target): at most "
        "this many episodes take a step on the task; evaluation is counted separately "
        "(default: none, --steps is the budget)",
    )
    finetune.add_argument(
        "--eval-episodes",
        type=int,
        default=20,
        help="evaluation episodes before and after fine-tuning, each (default: 20; 0: none)",
    )
    finetune.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    finetune.add_argument(
        "--envs",
        type=int,
        default=8,
        help="parallel envs: --steps must be a multiple of them; with --episodes, the most "
        "that divide the episodes (default: 8)",
    )
    finetune.add_argument(
        "--critic-warmup",
        type=int,
        default=4096,
        help="env steps with the actor frozen, in whole PPO rollouts; a warm-up that would "
        "cover every update of the budget is cut to half of them (default: 4096)",
    )
    finetune.add_argument(
        "--init-std",
        type=float,
        default=0.1,
        help="initial action std, a fraction of the half-range (default: 0.1)",
    )
    finetune.add_argument(
        "--min-std",
        type=float,
        default=0.02,
        help="floor of the action std, a fraction of the half-range (default: 0.02; 0: off)",
    )
    finetune.add_argument(
        "--bc-weight",
        type=float,
        default=1.0,
        help="initial weight of the regulariser towards the BC policy (default: 1.0; 0: off)",
    )
    finetune.add_argument(
        "--bc-decay",
        type=float,
        default=0.9,
        help="the regulariser's decay per update that trains the policy (default: 0.9)",
    )
    finetune.add_argument(
        "--trust-pickle",
        action="store_true",
        help="also start from a run of an older simreal whose policy is a pickled SB3 "
        "policy.zip; loading it runs code stored in the file (default: off)",
    )
    finetune.add_argument("--out", type=Path, required=True, help="run folder")


def run_finetune(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``simreal finetune``; see :func:`add_finetune_parser`."""
    from simreal.learning.finetune import FinetuneConfig, plan
    from simreal.learning.finetune_report import report_finetune

    check_env_id(parser, "--task", args.task)
    check_output_dir(parser, "--out", args.out)
    if args.steps is None and args.episodes is None:
        args.steps = 50_000
    if args.episodes is not None and args.episodes < 1:
        parser.error("--episodes must be >= 1.")
    if args.steps is not None and args.steps < 2:
        parser.error("--steps must be >= 2.")
    if args.envs < 1 or args.critic_warmup < 0 or args.eval_episodes < 0:
        parser.error("--envs must be >= 1, --critic-warmup and --eval-episodes >= 0.")
    if args.min_std < 0 or args.init_std <= 0 or args.bc_weight < 0 or not 0 <= args.bc_decay <= 1:
        parser.error(
            "--init-std must be > 0, --min-std and --bc-weight >= 0, --bc-decay in [0, 1]."
        )
    dr = check_dr(parser, args.dr, args.task, 1.0 if args.width is None else args.width)
    config = FinetuneConfig(
        args.task,
        args.steps,
        args.seed,
        args.envs,
        dr,
        1.0 if args.width is None else args.width,
        args.critic_warmup,
        args.init_std,
        args.min_std,
        args.bc_weight,
        args.bc_decay,
        episodes=args.episodes,
    )
    try:
        plan(config)
    except ValueError as error:
        parser.error(f"{'--episodes' if args.episodes is not None else '--steps'}: {error}")
    return report_finetune(
        config, args.policy, args.out, args.eval_episodes, parser, args.trust_pickle
    )

"""The ``simreal finetune`` command: BC -> RL, in simulation or on the target.

Heavy imports happen in the runner. Bad input ends with ``parser.error``
(exit code 2, one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from simreal.cli_checks import check_env_id, check_output_dir
from simreal.learning.command_flags import add_dr_arguments, check_dr
from simreal.learning.defaults import PPO_CRITIC_WARMUP


def add_finetune_parser(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``finetune``."""
    finetune = commands.add_parser(
        "finetune",
        help="fine-tune a Gaussian BC, PPO or SAC run with RL (PPO, or SAC with demonstrations),"
        " in simulation or on the target",
        description="Fine-tune a cloned Gaussian policy (or a PPO/SAC run). --algo sac: SAC with "
        "every batch half demonstrations (RLPD), layer-normalised critics, --utd gradient steps "
        "per env step, the actor distilled from the cloned policy. --algo ppo: PPO with critic "
        "warm-up, a log-std reset and floor, and decaying BC regularisation. Writes a run, "
        "curve.csv and finetune.json; the same command again resumes an interrupted run.",
    )
    finetune.add_argument(
        "--policy", type=Path, required=True,
        help="the run to fine-tune: simreal bc --head gaussian, simreal train, or a fine-tune",
    )  # fmt: skip
    finetune.add_argument("--task", required=True, help="env to fine-tune on (a real proxy too)")
    finetune.add_argument(
        "--algo", choices=("ppo", "sac"), default="ppo",
        help="ppo (on-policy, from a Gaussian or PPO run) or sac (off-policy with "
        "demonstrations; from a Gaussian, PPO or SAC run) (default: ppo)",
    )  # fmt: skip
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
        "this many episodes take a step on the task, at most --max-episodes; evaluation is "
        "counted separately (default: none, --steps is the budget)",
    )
    finetune.add_argument(
        "--max-episodes", type=int, default=50,
        help="the most training episodes --episodes may ask for, a guard for hardware "
        "(default: 50)",
    )  # fmt: skip
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
        default=None,
        help="parallel envs: --steps must be a multiple of them; with --episodes, the most "
        "that divide the episodes (default: ppo, the task's train.yaml, else 8; sac, 1)",
    )
    finetune.add_argument(
        "--critic-warmup",
        type=int,
        default=None,
        help="env steps with the actor frozen while the critic learns: ppo, in whole rollouts "
        "(a warm-up covering every update is cut to half of them); sac, after its first "
        "learning_starts steps (default: 4096 for ppo, 1000 for sac)",
    )
    finetune.add_argument(
        "--init-std",
        default="0.1",
        help="initial action std, a fraction of the half-range; ppo also takes keep (the "
        "policy's own std goes on, e.g. a fine-tuned policy going on to the target) "
        "(default: 0.1)",
    )
    finetune.add_argument(
        "--demos", type=Path, action="append", default=None,
        help="sac: a simreal collect dataset for the demonstration half of every batch; "
        "repeat for more (default: the dataset the BC run was cloned from)",
    )  # fmt: skip
    finetune.add_argument(
        "--demo-fraction", type=float, default=0.5,
        help="sac: share of every batch drawn from the demonstrations (default: 0.5; 0: none)",
    )  # fmt: skip
    finetune.add_argument(
        "--utd", type=int, default=2,
        help="sac: gradient steps per env step (update-to-data ratio) (default: 2)",
    )  # fmt: skip
    finetune.add_argument(
        "--no-layer-norm", action="store_true",
        help="sac: SB3's plain critics instead of layer-normalised ones (default: off)",
    )  # fmt: skip
    finetune.add_argument(
        "--target-entropy", default="clone",
        help="sac: the entropy SAC tunes its coefficient towards: clone (the started actor's "
        "own, measured on the demonstration states; SB3's -dim(A) without demonstrations), "
        "auto (SB3's -dim(A)) or a number, written --target-entropy=-1e-3 when it is negative "
        "(default: clone)",
    )  # fmt: skip
    finetune.add_argument(
        "--no-qfilter-bc", action="store_true",
        help="sac: no Q-filtered BC step on the demonstrations beside the updates (Nair et "
        "al. 2018) (default: off, the step is taken)",
    )  # fmt: skip
    finetune.add_argument(
        "--bc-anchor", type=float, default=0.0,
        help="sac: weight of a BC term on the demonstrations inside every actor update, "
        "relative to the normalised Q term (TD3+BC; 0.4 is its lambda = 2.5) (default: 0, off)",
    )  # fmt: skip
    finetune.add_argument(
        "--checkpoint-every", type=int, default=5000,
        help="sac: env steps between checkpoints (default: 5,000)",
    )  # fmt: skip
    finetune.add_argument(
        "--min-std",
        type=float,
        default=0.02,
        help="ppo: floor of the action std, a fraction of the half-range (default: 0.02; 0: off)",
    )
    finetune.add_argument(
        "--bc-weight",
        type=float,
        default=1.0,
        help="ppo: initial weight of the regulariser towards the BC policy (default: 1.0; 0: off)",
    )
    finetune.add_argument(
        "--bc-decay",
        type=float,
        default=0.9,
        help="ppo: the regulariser's decay per update that trains the policy (default: 0.9)",
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
    check_env_id(parser, "--task", args.task)
    check_output_dir(parser, "--out", args.out)
    if args.steps is None and args.episodes is None:
        args.steps = 50_000
    if args.max_episodes < 1:
        parser.error("--max-episodes must be >= 1.")
    if args.episodes is not None and not 1 <= args.episodes <= args.max_episodes:
        parser.error(
            f"--episodes must be between 1 and --max-episodes ({args.max_episodes}), got "
            f"{args.episodes}; raise --max-episodes to allow more episodes on the target."
        )
    if args.steps is not None and args.steps < 2:
        parser.error("--steps must be >= 2.")
    ppo_kwargs = None
    if args.algo == "ppo":  # PPO's settings and envs known to work on the task (its train.yaml)
        from simreal.learning.defaults import run_settings

        _, _, task_envs, ppo_kwargs = run_settings(args.task, "ppo")
        ppo_kwargs = {k: v for k, v in ppo_kwargs.items() if k != "policy_kwargs"} or None
    if args.envs is None:
        args.envs = task_envs if args.algo == "ppo" else 1
    if args.critic_warmup is None:
        args.critic_warmup = PPO_CRITIC_WARMUP if args.algo == "ppo" else 1000
    only = {
        "sac": {"--demos": args.demos is not None, "--demo-fraction": args.demo_fraction != 0.5,
                "--utd": args.utd != 2, "--no-layer-norm": args.no_layer_norm,
                "--checkpoint-every": args.checkpoint_every != 5000,
                "--target-entropy": args.target_entropy != "clone",
                "--no-qfilter-bc": args.no_qfilter_bc, "--bc-anchor": args.bc_anchor != 0},
        "ppo": {"--min-std": args.min_std != 0.02, "--bc-weight": args.bc_weight != 1.0,
                "--bc-decay": args.bc_decay != 0.9},
    }  # fmt: skip
    for algo, flags in only.items():
        given = [flag for flag, changed in flags.items() if changed]
        if given and args.algo != algo:
            parser.error(f"{', '.join(given)} set(s) --algo {algo} only; add --algo {algo}.")
    if args.envs < 1 or args.critic_warmup < 0 or args.eval_episodes < 0:
        parser.error("--envs must be >= 1, --critic-warmup and --eval-episodes >= 0.")
    args.init_std = _init_std(parser, args.init_std, args.algo)
    if args.min_std < 0 or args.bc_weight < 0 or not 0 <= args.bc_decay <= 1:
        parser.error("--min-std and --bc-weight must be >= 0, --bc-decay in [0, 1].")
    if not 0 <= args.demo_fraction < 1:
        parser.error(
            f"--demo-fraction must be in [0, 1) (the rest of every batch is online data), got "
            f"{args.demo_fraction}."
        )
    if not (math.isfinite(args.bc_anchor) and args.bc_anchor >= 0):
        parser.error(f"--bc-anchor must be a number >= 0 (0: off), got {args.bc_anchor}.")
    for flag, value in (("--utd", args.utd), ("--checkpoint-every", args.checkpoint_every)):
        if value < 1:
            parser.error(f"{flag} must be >= 1, got {value}.")
    args.target_entropy = _target_entropy(parser, args.target_entropy)
    for path in args.demos or []:
        if not path.is_file():
            parser.error(f"--demos: {path} is not a file; give a simreal collect dataset.")
    width = 1.0 if args.width is None else args.width
    dr = check_dr(parser, args.dr, args.task, width)
    if args.algo == "sac":
        return _run_sac(args, parser, dr, width)
    from simreal.learning.finetune import FinetuneConfig, plan
    from simreal.learning.finetune_report import report_finetune

    config = FinetuneConfig(
        args.task,
        args.steps,
        args.seed,
        args.envs,
        dr,
        width,
        args.critic_warmup,
        args.init_std,
        args.min_std,
        args.bc_weight,
        args.bc_decay,
        algo_kwargs=ppo_kwargs,
        episodes=args.episodes,
    )
    try:
        plan(config)
    except ValueError as error:
        parser.error(f"{'--episodes' if args.episodes is not None else '--steps'}: {error}")
    return report_finetune(
        config, args.policy, args.out, args.eval_episodes, parser, args.trust_pickle
    )


def _run_sac(
    args: argparse.Namespace, parser: argparse.ArgumentParser, dr: object, width: float
) -> int:
    from simreal.learning.sac_finetune import SACFinetuneConfig, plan
    from simreal.learning.sac_finetune_report import report_sac_finetune

    config = SACFinetuneConfig(
        args.task,
        args.steps,
        seed=args.seed,
        n_envs=args.envs,
        dr=dr,
        width=width,
        demos=tuple(str(p) for p in args.demos or ()),
        demo_fraction=args.demo_fraction,
        utd=args.utd,
        critic_warmup=args.critic_warmup,
        init_std=args.init_std,
        layer_norm=not args.no_layer_norm,
        target_entropy=args.target_entropy,
        qfilter_bc=not args.no_qfilter_bc,
        bc_anchor=args.bc_anchor,
        episodes=args.episodes,
        max_episodes=args.max_episodes,
        checkpoint_every=args.checkpoint_every,
    )
    try:
        plan(config)
    except ValueError as error:
        parser.error(f"{'--episodes' if args.episodes is not None else '--steps'}: {error}")
    return report_sac_finetune(
        config, args.policy, args.out, args.eval_episodes, parser, args.trust_pickle
    )


def _init_std(parser: argparse.ArgumentParser, value: str, algo: str) -> float | None:
    """``--init-std``: a finite number > 0, or ``keep`` (``None``) for PPO."""
    if value == "keep":
        if algo == "sac":
            parser.error(
                "--init-std keep is for --algo ppo; SAC's actor is distilled to a std, so give "
                "a number > 0."
            )
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        parser.error(
            f"--init-std must be a number > 0 (a fraction of the half-range) or keep, "
            f"got {value!r}."
        )
    return number


def _target_entropy(parser: argparse.ArgumentParser, value: str) -> str | float:
    """``--target-entropy``: ``clone``, ``auto`` or a finite number."""
    if value in ("clone", "auto"):
        return value
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        parser.error(
            f"--target-entropy must be clone, auto or a finite number (nats), got {value!r}."
        )
    return number

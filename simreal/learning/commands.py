"""The ``simreal train``, ``simreal eval`` and ``simreal collect`` commands.

Heavy imports happen in the runners. Bad input ends with ``parser.error``
(exit code 2, one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simreal.cli_checks import (
    check_dataset_task,
    check_output_dir,
    check_output_file,
    int_at_least,
    require_task,
)


def _dr_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dr",
        default=None,
        help="DR spec: 'default' (the task's), a YAML path (a sysid fit.yaml too), "
        "or omit for none",
    )
    parser.add_argument(
        "--width",
        type=float,
        default=None,
        help="global randomization width >= 0 (default: the spec's width, 1 unless it sets one)",
    )


def add_parsers(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``train``, ``eval`` and ``collect``."""
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
    _dr_argument(train)
    train.add_argument(
        "--steps",
        type=int_at_least(1),
        default=None,
        help="env steps trained exactly, rounded up to a multiple of --envs (default: the "
        "task's train.yaml, else 50000)",
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
        "--policy", required=True, help="run folder of simreal train, or 'expert'"
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

    bc = commands.add_parser(
        "bc",
        help="behaviour-clone a demonstration dataset (gaussian, tokens or flow head)",
        description="Train a policy on a simreal collect dataset: a Gaussian MLP (SB3 PPO policy, "
        "for RL fine-tuning), RT-2-style action tokens, or pi0-style flow matching over action "
        "chunks. The run folder is evaluated with simreal eval.",
    )
    bc.add_argument("--task", required=True, help="the task the demonstrations come from")
    bc.add_argument("--data", type=Path, required=True, help="dataset of simreal collect")
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
    _dr_argument(finetune)
    budget = finetune.add_mutually_exclusive_group()
    budget.add_argument(
        "--steps",
        type=int,
        default=None,
        help="env steps, trained exactly (default: 50,000); the envs and PPO's rollout "
        "length are fitted to divide it",
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
        help="the most parallel envs; fewer when they do not divide the budget (default: 8)",
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

    collect = commands.add_parser(
        "collect",
        help="record demonstration episodes of the expert or a trained policy",
        description="Write one table (Parquet, HDF5, NPZ or CSV by the --out suffix) with one "
        "row per step: episode_index, step, time, obs:<i>, action:<j>, reward, terminated, "
        "truncated, is_success and dr:<param> columns.",
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
    _dr_argument(collect)
    collect.add_argument("--out", type=Path, required=True, help="dataset file")


def _check_dr(
    parser: argparse.ArgumentParser, dr: str | None, task: str, width: float | None = None
) -> object:
    from simreal.factory import make
    from simreal.randomization import SpecError, load_spec

    if dr is None:
        return None
    if dr == "default":
        from simreal.cli_checks import require_task

        fix = "give a spec file, --dr spec.yaml"
        row = require_task(parser, "--dr default", task, "default DR spec", fix)
        dr = str(row.default_spec_path)
    try:
        spec = load_spec(dr)
        make(task, dr=spec, width=width).close()  # binding checks need the task's model
    except (SpecError, FileNotFoundError) as error:
        parser.error(f"--dr: {error}")
    except ValueError as error:
        parser.error(str(error))
    return spec.to_dict()


def _check_task(parser: argparse.ArgumentParser, flag: str, env_id: str) -> None:
    from simreal.cli_checks import check_env_id

    check_env_id(parser, flag, env_id)


def run_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Train; see :func:`add_parsers`."""
    from simreal.learning.train import RunError, TrainConfig, train

    _check_task(parser, "--task", args.task)
    check_output_dir(parser, "--out", args.out)
    if args.width is not None and args.width < 0:
        parser.error("--width must be >= 0.")
    dr = _check_dr(parser, args.dr, args.task, 1.0 if args.width is None else args.width)
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
    except ValueError as error:
        parser.error(str(error))
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
    """Evaluate; see :func:`add_parsers`."""
    from simreal.atomic_io import write_json_atomic
    from simreal.learning.evaluate import evaluate
    from simreal.learning.train import RunError

    if args.episodes < 1:
        parser.error("--episodes must be >= 1.")
    for env_id in args.on:
        _check_task(parser, "--on", env_id)
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


def run_bc(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Behaviour-clone; see :func:`add_parsers`."""
    from simreal.learning.bc import BCConfig, DatasetError, train_bc

    _check_task(parser, "--task", args.task)
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


def run_finetune(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Fine-tune; see :func:`add_parsers`."""
    from simreal.learning.finetune import FinetuneConfig, plan
    from simreal.learning.finetune_report import report_finetune

    _check_task(parser, "--task", args.task)
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
    dr = _check_dr(parser, args.dr, args.task, 1.0 if args.width is None else args.width)
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
        parser.error(f"--episodes: {error}")
    return report_finetune(
        config, args.policy, args.out, args.eval_episodes, parser, args.trust_pickle
    )


def run_collect(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Collect; see :func:`add_parsers`."""
    from simreal.learning.collect import collect
    from simreal.learning.train import RunError
    from simreal.sysid.readers import SUFFIXES

    _check_task(parser, "--task", args.task)
    if args.out.suffix.lower() not in SUFFIXES:
        parser.error(f"--out: use one of {', '.join(SUFFIXES)}, got {args.out.suffix!r}.")
    check_output_file(parser, "--out", args.out)
    if str(args.policy) == "expert":
        fix = "record a run folder of simreal train or bc with --policy"
        require_task(parser, "--policy expert", args.task, "expert controller", fix)
    if args.episodes < 1:
        parser.error("--episodes must be >= 1.")
    dr = _check_dr(parser, args.dr, args.task, args.width)
    try:
        path = collect(args.task, args.policy, args.episodes, args.out, dr, args.width, args.seed)
    except (ValueError, RunError) as error:
        parser.error(str(error))
    print(f"recorded {args.episodes} episodes of {args.policy} on {args.task} to {path}")
    return 0

"""``simreal finetune --algo sac``'s run: check, evaluate, fine-tune, evaluate again, report.

Every check that can fail (the source run, its spaces, the demonstrations, the
folder) runs before the first episode on the target. Training episodes and
evaluation episodes are counted apart; the evaluation before fine-tuning is kept
in ``evaluation_before.json``, so a resumed run does not repeat it on the target,
and a finished fine-tune run again runs nothing and says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simreal.atomic_io import write_json_atomic
from simreal.learning.finetune_report import record_evaluation
from simreal.learning.policy_store import RunError
from simreal.learning.sac_finetune import SACFinetuneConfig

BEFORE = "evaluation_before.json"


def _tagged(flag: str, error: RunError) -> RunError:
    return RunError(f"{flag}: {error}")


def _precheck(
    config: SACFinetuneConfig, policy: Path, out: Path, trust_pickle: bool
) -> dict | None:
    """Everything :func:`finetune_sac` would refuse, checked before any episode.

    Returns:
        The record of a fine-tune that ``out`` already holds with these settings and
        that finished, evaluation included (``None`` otherwise).

    Raises:
        RunError: Starting with the flag to fix.
    """
    import numpy as np

    from simreal.learning.sac_finetune import (
        check_source,
        load_demo_transitions,
        plan,
        source_datasets,
    )
    from simreal.learning.sac_finetune_folder import (
        can_step,
        check_folder,
        finished_record,
        folder_settings,
    )

    try:
        kind, source = check_source(policy, config.task, trust_pickle)
    except RunError as error:
        raise _tagged("--policy", error) from None
    paths = config.demos or source_datasets(policy)
    for path in [] if config.demos else paths:
        if not Path(path).is_file():
            raise RunError(
                f"--policy: {policy} was cloned from {path}, which is not a file here; give "
                "--demos (a simreal collect dataset of the task)."
            )
    space = source.action_space
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    try:
        demos = load_demo_transitions(
            paths, config.task, low, high, source.observation_space.shape[0]
        )
    except RunError as error:
        raise _tagged("--demos" if config.demos else "--policy", error) from None
    if demos is None and kind != "sac":
        raise RunError(
            f"--policy: {policy} is a {kind} run with no dataset of its own; give --demos (a "
            "simreal collect dataset of the task) for the demonstration half of the batches."
        )
    try:
        check_folder(out, folder_settings(config, policy, paths))
        done = finished_record(out)
        if done is not None and "evaluation" in done:
            return done
        can_step(config, out, plan(config)[1])
    except RunError as error:
        raise _tagged("--out", error) from None
    return None


def _counted(ran: dict) -> str:
    """``N env steps in M training episodes`` of a fine-tune's ``ran`` record."""
    if ran["training_episodes"] is not None:
        episodes = f"{ran['training_episodes']} training episodes"
    else:
        episodes = f"{ran['finished_episodes']} finished training episodes"
    return f"{ran['env_steps']:,} env steps in {episodes}"


def _evaluation_before(
    config: SACFinetuneConfig, policy: Path, out: Path, episodes: int, trust_pickle: bool
) -> object:
    """The source's evaluation on the target: kept from an earlier start, or run and kept."""
    from simreal.learning.evaluate import Evaluation, evaluate

    saved = out / BEFORE
    try:
        stored = json.loads(saved.read_text())
        kept = Evaluation(**{**stored, "success_ci95": tuple(stored["success_ci95"])})
    except (OSError, ValueError, TypeError, KeyError):
        kept = None
    if kept is not None and (kept.policy, kept.env_id, kept.episodes) == (
        str(policy), config.task, episodes):  # fmt: skip
        print(f"evaluation before fine-tuning: kept from {saved}", file=sys.stderr)
        return kept
    before = evaluate(policy, config.task, episodes, trust_pickle=trust_pickle)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(saved, before.to_dict())
    return before


def report_sac_finetune(
    config: SACFinetuneConfig,
    policy: Path,
    out: Path,
    eval_episodes: int,
    parser: argparse.ArgumentParser,
    trust_pickle: bool = False,
) -> int:
    """Run a SAC fine-tune for the CLI and print its counts and before/after table.

    Returns:
        The exit code: 0, or 130 when interrupted (a checkpoint was written).
    """
    from simreal.learning.evaluate import evaluate
    from simreal.learning.sac_finetune_run import finetune_sac
    from simreal.learning.train import TrainingInterrupted

    try:
        done = _precheck(config, policy, out, trust_pickle)
    except RunError as error:
        parser.error(str(error))
    if done is not None:
        print(
            f"{out} is already fine-tuned with these settings ({_counted(done['ran'])}); "
            f"nothing ran: its results are in {out / 'finetune.json'}."
        )
        return 0
    try:
        before = None
        if eval_episodes:
            before = _evaluation_before(config, policy, out, eval_episodes, trust_pickle)
        out = finetune_sac(config, policy, out, trust_pickle=trust_pickle)
        after = evaluate(out, config.task, episodes=eval_episodes) if eval_episodes else None
    except TrainingInterrupted as stop:
        done = f"checkpoint at {stop.steps} env steps in {stop.out}" if stop.steps else "no steps"
        print(f"interrupted ({done}); rerun the same command to resume.", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume.", file=sys.stderr)
        return 130
    ran = record_evaluation(out, eval_episodes, before, after)
    drawn = ran["demo_draws"] + ran["online_draws"]
    print(
        f"fine-tuned {policy} with SAC on {config.task}: {_counted(ran)}, "
        f"{ran['gradient_steps']:,} gradient steps ({ran['updates_actor_frozen']:,} "
        f"with the actor frozen); {ran['demo_draws']:,} of {drawn:,} sampled transitions from "
        f"{ran['demo_transitions']:,} demonstration transitions: {out}"
    )
    if eval_episodes:
        print(f"evaluation: {eval_episodes} episodes before and {eval_episodes} after, apart")
        print("| policy | env | episodes | return (95% CI) | success (95% CI) |")
        print("|---|---|---:|---:|---:|")
        print(before.row())
        print(after.row())
    return 0

"""``simreal finetune --algo sac``'s run: check, evaluate, fine-tune, evaluate again, report.

Every check that can fail (the source run, its spaces, the demonstrations, the
folder) runs before the first episode on the target. Training episodes and
evaluation episodes are counted apart; the evaluation before fine-tuning is kept
in ``evaluation_before.json``, so a resumed run does not repeat it on the target.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simreal.atomic_io import write_json_atomic
from simreal.learning.sac_finetune import SACFinetuneConfig

BEFORE = "evaluation_before.json"


def _precheck(config: SACFinetuneConfig, policy: Path, out: Path, trust_pickle: bool) -> None:
    """Everything :func:`finetune_sac` would refuse, checked before any episode."""
    import numpy as np

    from simreal.learning.sac_finetune import (
        check_source,
        load_demo_transitions,
        run_settings,
        source_datasets,
    )
    from simreal.learning.sac_finetune_run import JOURNAL, check_folder, journal_count

    kind, source = check_source(policy, config.task, trust_pickle)
    paths = config.demos or source_datasets(policy)
    space = source.action_space
    demos = load_demo_transitions(
        paths, config.task, space.low.astype(np.float64), space.high.astype(np.float64)
    )
    if demos is None and kind != "sac":
        from simreal.learning.policy_store import RunError

        raise RunError(
            f"{policy} is a {kind} run with no dataset of its own; give --demos (a simreal "
            "collect dataset of the task) for the demonstration half of the batches."
        )
    settings = {**run_settings(config), "demos": list(paths), "from": str(policy)}
    check_folder(out, settings)
    if config.episodes is not None and journal_count(out / JOURNAL) >= config.episodes:
        from simreal.learning.policy_store import RunError

        raise RunError(f"{out} has used all {config.episodes} episodes of its budget.")


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
    from simreal.learning.evaluate import Evaluation, evaluate
    from simreal.learning.policy_store import RunError
    from simreal.learning.sac_finetune_run import finetune_sac
    from simreal.learning.train import TrainingInterrupted

    try:
        _precheck(config, policy, out, trust_pickle)
    except RunError as error:
        parser.error(f"--policy: {error}" if str(policy) in str(error) else str(error))
    before = None
    if eval_episodes:
        saved = out / BEFORE
        if saved.is_file():
            stored = json.loads(saved.read_text())
            before = Evaluation(**{**stored, "success_ci95": tuple(stored["success_ci95"])})
            print(f"evaluation before fine-tuning: kept from {saved}", file=sys.stderr)
        else:
            before = evaluate(policy, config.task, eval_episodes, trust_pickle=trust_pickle)
            out.mkdir(parents=True, exist_ok=True)
            write_json_atomic(saved, before.to_dict())
    try:
        out = finetune_sac(config, policy, out, trust_pickle=trust_pickle)
    except TrainingInterrupted as stop:
        done = f"checkpoint at {stop.steps} env steps in {stop.out}" if stop.steps else "no steps"
        print(f"interrupted ({done}); rerun the same command to resume.", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume.", file=sys.stderr)
        return 130
    after = evaluate(out, config.task, episodes=eval_episodes) if eval_episodes else None
    document = json.loads((out / "finetune.json").read_text())
    ran = document["ran"]
    document["evaluation"] = {
        "episodes_before": eval_episodes,
        "episodes_after": eval_episodes,
        "before": before.to_dict() if before else None,
        "after": after.to_dict() if after else None,
    }
    write_json_atomic(out / "finetune.json", document)
    episodes = ran["training_episodes"]
    counted = f"{episodes} training episodes" if episodes is not None else (
        f"{ran['finished_episodes']} finished training episodes")  # fmt: skip
    drawn = ran["demo_draws"] + ran["online_draws"]
    print(
        f"fine-tuned {policy} with SAC on {config.task}: {ran['env_steps']:,} env steps in "
        f"{counted}, {ran['gradient_steps']:,} gradient steps ({ran['updates_actor_frozen']:,} "
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

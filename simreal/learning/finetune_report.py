"""``simreal finetune``'s run: evaluate, fine-tune, evaluate again, and say what ran.

Training episodes and evaluation episodes are counted apart: on hardware both
touch the robot, and only the first are the fine-tuning budget. The evaluation is
added to the run's ``finetune.json`` under ``evaluation``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from simreal.atomic_io import write_json_atomic
from simreal.learning.finetune import FinetuneConfig, FinetuneWarning, finetune


def record_evaluation(out: Path, episodes: int, before: object, after: object) -> dict:
    """Add the evaluations before and after to a fine-tune's ``finetune.json``.

    Args:
        out: The fine-tune's run folder.
        episodes: Evaluation episodes of each (0: none ran).
        before: The :class:`~simreal.learning.evaluate.Evaluation` before, or ``None``.
        after: The one after, or ``None``.

    Returns:
        What the fine-tune ran (the record's ``ran`` entry).
    """
    document = json.loads((out / "finetune.json").read_text())
    document["evaluation"] = {
        "episodes_before": episodes,
        "episodes_after": episodes,
        "before": before.to_dict() if before else None,
        "after": after.to_dict() if after else None,
    }
    write_json_atomic(out / "finetune.json", document)
    return document["ran"]


def report_finetune(
    config: FinetuneConfig,
    policy: Path,
    out: Path,
    eval_episodes: int,
    parser: argparse.ArgumentParser,
    trust_pickle: bool = False,
) -> int:
    """Run a fine-tune for the CLI and print its counts, warnings and before/after table.

    ``trust_pickle`` also reads a pickled ``policy.zip`` of an older simreal (runs its code).

    Returns:
        The exit code (0).
    """
    from simreal.learning.evaluate import evaluate
    from simreal.learning.finetune import load_source
    from simreal.learning.train import RunError

    try:
        load_source(policy, config.task, trust_pickle)  # before any episode on the target
        before = None
        if eval_episodes:
            before = evaluate(policy, config.task, eval_episodes, trust_pickle=trust_pickle)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FinetuneWarning)
            out = finetune(config, policy, out, trust_pickle=trust_pickle)
    except RunError as error:
        parser.error(f"--policy: {error}")
    for warning in caught:
        if issubclass(warning.category, FinetuneWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    after = evaluate(out, config.task, episodes=eval_episodes) if eval_episodes else None
    ran = record_evaluation(out, eval_episodes, before, after)
    print(
        f"fine-tuned {policy} on {config.task}: {ran['env_steps']:,} env steps in "
        f"{ran['training_episodes']} training episodes, {ran['ppo_updates']} PPO update(s) "
        f"({ran['actor_updates']} trained the policy): {out}"
    )
    if ran["untrained_steps"]:
        print(
            f"the episode budget ended {ran['untrained_steps']:,} steps into a PPO rollout; "
            "those steps were not trained on"
        )
    if eval_episodes:
        print(f"evaluation: {eval_episodes} episodes before and {eval_episodes} after, apart")
        print("| policy | env | episodes | return (95% CI) | success (95% CI) |")
        print("|---|---|---:|---:|---:|")
        print(before.row())
        print(after.row())
    return 0

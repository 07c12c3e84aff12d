"""A BC -> SAC fine-tune's run folder: its settings, its journal of target episodes, its state.

A rerun resumes only a folder whose recorded settings match; the journal
(``target_episodes.txt``, one line per training episode, on disk as it starts)
says how many episodes of the budget were spent, checkpoint or not.
"""

from __future__ import annotations

import json
from pathlib import Path

from simreal.learning.policy_store import RunError
from simreal.learning.sac_finetune import SACFinetuneConfig, run_settings

CHECKPOINT = "checkpoints"
JOURNAL = "target_episodes.txt"
SETTING_DEFAULTS = {"bc_anchor": 0.0}
"""Settings added after fine-tune folders were first written, with the value they ran with."""


def check_folder(out: Path, settings: dict) -> None:
    """Refuse an ``out`` that holds another run or a fine-tune with other settings.

    A setting that a folder's record lacks (written before the setting existed) counts
    as its default, which is what that run ran with.

    Args:
        out: The fine-tune's run folder.
        settings: What :func:`folder_settings` gives for the fine-tune asked for.

    Raises:
        RunError: Naming the settings that differ.
    """
    path = out / "finetune.json"
    if not path.is_file():
        if (out / "config.json").exists() or (out / CHECKPOINT).exists():
            raise RunError(f"{out} holds another run; choose another --out or delete it.")
        return
    try:
        previous = json.loads(path.read_text())["settings"]
    except (ValueError, KeyError, TypeError):
        raise RunError(f"{path} is not a fine-tune's record; choose another --out.") from None
    if isinstance(previous, dict):
        previous = {**SETTING_DEFAULTS, **previous}
    if previous != settings:
        changed = sorted(k for k in set(previous) | set(settings)
                         if previous.get(k) != settings.get(k))  # fmt: skip
        raise RunError(
            f"{out} holds another fine-tune (it differs in: {', '.join(changed)}); choose "
            "another --out or delete it."
        )


def journal_count(path: Path) -> int:
    """Training episodes recorded in a fine-tune's journal (0 if there is none)."""
    return len(path.read_text().splitlines()) if path.is_file() else 0


def folder_settings(config: SACFinetuneConfig, source_run: Path, demo_paths: tuple) -> dict:
    """What a fine-tune folder records as its settings, and a rerun must match to resume."""
    return {**run_settings(config), "demos": list(demo_paths), "from": str(source_run)}


def finished_record(out: Path) -> dict | None:
    """A finished fine-tune's ``finetune.json`` (``None`` for a folder without one)."""
    path = Path(out) / "finetune.json"
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and document.get("ran") else None


def can_step(config: SACFinetuneConfig, out: Path, n_envs: int) -> bool:
    """Whether the episode budget lets (re)started training take another step.

    Every env starts a fresh episode when training starts, so ``n_envs`` of them
    must be left of the budget; with fewer, a resumed run ends at its newest
    checkpoint (``False``).

    Raises:
        RunError: When no episodes are left and there is no checkpoint to end at.
    """
    from simreal.learning.checkpoint import latest_checkpoint

    if config.episodes is None:
        return True
    used = journal_count(Path(out) / JOURNAL)
    if config.episodes - used >= n_envs:
        return True
    if latest_checkpoint(Path(out) / CHECKPOINT) is None:
        raise RunError(
            f"{out} used {used} of its {config.episodes} target episodes before its first "
            f"checkpoint, which leaves too few for {n_envs} env(s) to resume; fine-tune into "
            "another --out."
        )
    return False

"""Checks of command-line input shared by every ``simreal`` command.

Each check ends bad input with ``parser.error``: one sentence naming the flag
and the fix, exit code 2, no traceback, before any work starts and before
anything is written. Heavy libraries are imported only by the checks that need
them, so ``simreal --help`` stays fast.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting integers >= ``minimum``, with a clear message otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    return parse


def check_ids(
    parser: argparse.ArgumentParser,
    flag: str,
    ids: Sequence[str],
    known: Collection[str],
    what: str = "task id",
) -> None:
    """Exit with one sentence (code 2) at the first id not in ``known``, naming close matches."""
    for env_id in ids:
        if env_id not in known:
            close = difflib.get_close_matches(env_id, list(known), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            parser.error(f"{flag}: unknown {what} {env_id!r}.{hint} See `simreal tasks`.")


def check_env_id(parser: argparse.ArgumentParser, flag: str, env_id: str) -> str:
    """Accept any registered Gymnasium id, or Gymnasium's ``module:EnvId`` form.

    ``module:EnvId`` imports ``module`` first (which registers the user's own env,
    as ``gymnasium.make`` does), so a robot or plant of the user's own is a valid
    id for every command.

    Args:
        parser: The command's parser (its ``error`` ends the program).
        flag: The flag that gave the id, for the message.
        env_id: The id as the user wrote it.

    Returns:
        ``env_id`` unchanged: workers in other processes import the module again.
    """
    import gymnasium as gym

    import simreal  # noqa: F401  (registers the simreal ids)

    module, sep, name = env_id.partition(":")
    if not sep:
        module, name = "", env_id
    elif not module or not name:
        parser.error(f"{flag}: write module:EnvId (e.g. my_robot.envs:MyRobot-v0), got {env_id!r}.")
    else:
        try:
            importlib.import_module(module)
        except ImportError as error:
            parser.error(
                f"{flag}: cannot import {module!r} ({error}); install the package that registers "
                f"{name}, or run from its folder with PYTHONPATH=."
            )
        except Exception as error:  # noqa: BLE001 - the user's module failed on import
            parser.error(f"{flag}: importing {module!r} failed ({type(error).__name__}: {error}).")
    if name not in gym.registry:
        close = difflib.get_close_matches(name, list(gym.registry), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        after = f" after importing {module!r}" if module else ""
        parser.error(
            f"{flag}: unknown env id {name!r}{after}.{hint} See `simreal tasks` for simreal's "
            "tasks, or pass module:EnvId to register your own."
        )
    return env_id


def require_task(
    parser: argparse.ArgumentParser, flag: str, env_id: str, feature: str, fix: str
) -> object:
    """Return the simreal task behind ``env_id``, or exit saying ``feature`` needs one.

    Args:
        parser: The command's parser.
        flag: The flag that asked for the feature, e.g. ``"--policy expert"``.
        env_id: The env id (already checked with :func:`check_env_id`).
        feature: What only simreal tasks have, e.g. ``"expert controller"``.
        fix: What to do instead, e.g. ``"pass a run folder as --policy"``.

    Returns:
        The :class:`simreal.envs.registry.Task` row.
    """
    from simreal.envs.registry import task_for

    try:
        return task_for(env_id)
    except KeyError:
        parser.error(f"{flag}: {env_id} is not a simreal task, so it has no {feature}; {fix}.")


def check_output_file(parser: argparse.ArgumentParser, flag: str, path: Path) -> None:
    """Exit unless ``path`` can be written as a file (nothing is created here)."""
    path = Path(path)
    if path.is_dir():
        parser.error(f"{flag}: {path} is a folder; give a file path.")
    if path.exists() and not os.access(path, os.W_OK):
        parser.error(f"{flag}: {path} is not writable; choose another path.")
    _check_creatable(parser, flag, path)


def check_output_dir(parser: argparse.ArgumentParser, flag: str, path: Path) -> None:
    """Exit unless ``path`` is a writable folder or can be created as one."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        parser.error(f"{flag}: {path} exists and is not a folder; choose another path.")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            parser.error(f"{flag}: the folder {path} is not writable; choose another path.")
        return
    _check_creatable(parser, flag, path)


def _check_creatable(parser: argparse.ArgumentParser, flag: str, path: Path) -> None:
    """Exit unless the nearest existing ancestor of ``path`` is a writable folder."""
    for folder in path.absolute().parents:
        if not folder.exists():
            continue
        if not folder.is_dir():
            parser.error(
                f"{flag}: cannot write {path}: {folder} is a file, not a folder; "
                "choose another path."
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            parser.error(f"{flag}: cannot write {path}: {folder} is not writable.")
        return


def check_dataset_task(parser: argparse.ArgumentParser, flag: str, data: Path, task: str) -> None:
    """Exit if the dataset records another task than ``task``; warn if it records none."""
    from simreal.learning.dataset_task import read_dataset_task, same_task

    try:
        recorded = read_dataset_task(data)
    except Exception:  # noqa: BLE001 - unreadable: the dataset reader names the problem
        return
    if recorded is None:
        print(
            f"{parser.prog}: warning: {data} does not record the task it was collected on; "
            f"cloning it for {task}.",
            file=sys.stderr,
        )
    elif not same_task(recorded, task):
        parser.error(
            f"{flag}: {data} was recorded on {recorded}, not {task}; collect demonstrations "
            f"on {task} (simreal collect --task {task}) or pass --task {recorded}."
        )
